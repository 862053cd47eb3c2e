"""A label schema sent by any user cannot make the server work for long or answer at length
(issue 13, finding 6): YAML aliases are refused, lists and the error list are bounded."""

from __future__ import annotations

from support import Factory, Stack


def fan_out_yaml(labels: int, tools: int) -> str:
    names = ", ".join(f"l{i}" for i in range(labels))
    lines = ["media: image", "tools:", f"  - {{name: t0, type: bbox, labels: &labels [{names}]}}"]
    lines += [f"  - {{name: t{i}, type: bbox, labels: *labels}}" for i in range(1, tools)]
    return "\n".join(lines) + "\n"


def test_the_alias_fan_out_is_refused_on_every_schema_route(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    attack = fan_out_yaml(1000, 3000)
    with stack.client(owner.token) as client:
        checked = client.post("/api/v1/label-schemas/validate", json={"label_schema": attack})
        assert checked.status_code == 422
        assert len(checked.content) < 2000  # not 91 MiB
        error = checked.json()["details"]["errors"][0]
        assert "aliases (*labels) are not allowed" in error["message"] and error["line"] == 4
        created = client.post("/api/v1/projects", json={"name": "p", "label_schema": attack})
        assert created.status_code == 422
        assert "aliases" in created.json()["message"]


def test_a_wide_schema_answers_with_a_bounded_error_list(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    tools = "".join(f"  - {{name: {i}x, type: bbox, labels: [a, a]}}\n" for i in range(100))
    with stack.client(owner.token) as client:
        response = client.post(
            "/api/v1/label-schemas/validate",
            json={"label_schema": f"media: image\ntools:\n{tools}"},
        )
    assert response.status_code == 422
    errors = response.json()["details"]["errors"]
    assert len(errors) == 51 and errors[-1]["message"] == "and 150 more problems not listed"
