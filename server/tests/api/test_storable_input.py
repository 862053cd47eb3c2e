"""What cannot be stored is refused before it reaches the database, the same way on both
(issue 13, finding 8): a NUL character (PostgreSQL stores none: a 500 there, kept on SQLite) or a
lone surrogate (no character: a 500 on both) in any JSON field, path or query; a number or a
nesting depth that the JSON columns' encoder cannot write (a 500). A request is answered 422
naming the field; an imported row is reported by its job with its row and field."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from scenarios import box, lease
from support import TEXT_SCHEMA, Factory, Member, Stack

NUL = "\u0000"
LONE = "\ud800"
NUL_REASON = "contains a NUL character (U+0000), which cannot be stored; remove it"
NAN_REASON = "NaN is not a number that can be stored (NaN and Infinity are not JSON)"
LONE_REASON = (
    "contains a lone surrogate (U+D800), which is no character and cannot be stored as UTF-8; "
    "pair it or remove it"
)


def send(client: httpx.Client, method: str, url: str, body: Any) -> httpx.Response:
    """``body`` as JSON text written by Python's encoder, which escapes a lone surrogate (httpx's
    ``json=`` cannot encode one) and writes NaN and Infinity as Python does."""
    return client.request(
        method, url, content=json.dumps(body), headers={"content-type": "application/json"}
    )


def assert_refused(response: httpx.Response, field: str, reason: str) -> None:
    assert response.status_code == 422, response.text
    assert response.json() == {
        "code": "invalid",
        "message": f"{field}: {reason}",
        "details": {"errors": [{"path": field, "message": reason}]},
    }


@dataclass
class Case:
    """A request whose body carries ``bad`` (a string) at ``field``."""

    method: str
    url: str
    body: Callable[[str], Any]
    field: str


@dataclass
class World:
    owner: Member
    annotator: Member
    project: dict[str, Any]
    task: int
    annotation: int


def _world(stack: Stack, factory: Factory) -> World:
    owner = factory.owner()
    annotator = factory.member(owner, "annotator")
    project = factory.project(owner)
    factory.import_tasks(owner, project["id"], [{"image": f"{i}.png"} for i in range(3)])
    task = int(lease(stack, annotator, project["id"])["task"]["id"])
    with stack.client(annotator.token) as client:
        made = client.post(
            f"/api/v1/tasks/{task}/annotations", json={"id": "a1", "result": [box()]}
        )
        assert made.status_code == 201, made.text
        held = int(lease(stack, annotator, project["id"])["task"]["id"])
    return World(owner, annotator, project, held, int(made.json()["id"]))


def _cases(w: World) -> list[tuple[str, Case]]:
    """(who sends it, the request) for the string fields of every JSON body."""
    p, t, a, org = w.project["id"], w.task, w.annotation, w.owner.organization_id
    schema = w.project["label_schema"]
    return [
        (
            "owner",
            Case("POST", "/api/v1/projects", lambda s: {"name": s, "label_schema": schema}, "name"),
        ),
        (
            "owner",
            Case(
                "POST",
                "/api/v1/projects",
                lambda s: {"name": "p", "description": s, "label_schema": schema},
                "description",
            ),
        ),
        (
            "owner",
            Case(
                "POST",
                "/api/v1/projects",
                lambda s: {"name": "p", "label_schema": f"media: image\ntools: []\n# {s}"},
                "label_schema",
            ),
        ),
        (
            "owner",
            Case("PATCH", f"/api/v1/projects/{p}", lambda s: {"instructions": s}, "instructions"),
        ),
        (
            "owner",
            Case(
                "PATCH",
                f"/api/v1/projects/{p}",
                lambda s: {
                    "label_schema": {
                        **schema,
                        "tools": [{**schema["tools"][0], "labels": ["car", s]}],
                    }
                },
                "label_schema.tools[0].labels[1]",
            ),
        ),
        (
            "owner",
            Case(
                "POST",
                "/api/v1/label-schemas/validate",
                lambda s: {"label_schema": {"media": s}},
                "label_schema.media",
            ),
        ),
        (
            "owner",
            Case(
                "PATCH",
                f"/api/v1/tasks/{t}",
                lambda s: {"data": {"image": "x.png", "tags": ["a", s]}},
                "data.tags[1]",
            ),
        ),
        (
            "owner",
            Case(
                "PATCH",
                f"/api/v1/tasks/{t}",
                lambda s: {"data": {"image": "x.png", f"k{s}": 1}},
                "data",
            ),
        ),
        (
            "owner",
            Case(
                "POST",
                f"/api/v1/projects/{p}/tasks/bulk",
                lambda s: {"task_ids": [t], "batch": s},
                "batch",
            ),
        ),
        (
            "owner",
            Case(
                "POST",
                f"/api/v1/projects/{p}/imports",
                lambda s: {"tasks": [{"image": "y.png"}], "batch": s},
                "batch",
            ),
        ),
        (
            "annotator",
            Case(
                "POST",
                f"/api/v1/tasks/{t}/annotations",
                lambda s: {"id": "a2", "result": [box(label=s)]},
                "result[0].label",
            ),
        ),
        (
            "annotator",
            Case(
                "POST",
                f"/api/v1/tasks/{t}/annotations",
                lambda s: {"id": s, "result": [box()]},
                "id",
            ),
        ),
        (
            "annotator",
            Case(
                "PATCH",
                f"/api/v1/annotations/{a}",
                lambda s: {"result": [box(attributes={"note": s})]},
                "result[0].attributes.note",
            ),
        ),
        (
            "annotator",
            Case(
                "PUT",
                f"/api/v1/tasks/{t}/draft",
                lambda s: {"draft": [box(label=s)]},
                "draft[0].label",
            ),
        ),
        (
            "annotator",
            Case(
                "POST",
                f"/api/v1/tasks/{t}/reports",
                lambda s: {"reason": "other", "note": s},
                "note",
            ),
        ),
        (
            "owner",
            Case("POST", f"/api/v1/tasks/{t}/reports/resolve", lambda s: {"note": s}, "note"),
        ),
        (
            "annotator",
            Case(
                "PUT",
                "/api/v1/auth/preferences",
                lambda s: {"keymap": {"tool.rectangle": [s]}},
                "keymap.tool.rectangle[0]",
            ),
        ),
        ("annotator", Case("PATCH", "/api/v1/auth/me", lambda s: {"name": s}, "name")),
        ("annotator", Case("POST", "/api/v1/auth/tokens", lambda s: {"name": s}, "name")),
        (
            "annotator",
            Case(
                "POST",
                "/api/v1/auth/password",
                lambda s: {
                    "current_password": "correct horse 2",
                    "new_password": f"long enough {s}",
                },
                "new_password",
            ),
        ),
        (
            "anyone",
            Case(
                "POST",
                "/api/v1/auth/login",
                lambda s: {"email": f"a{s}@example.com", "password": "x"},
                "email",
            ),
        ),
        ("owner", Case("POST", "/api/v1/organizations", lambda s: {"name": s}, "name")),
        (
            "owner",
            Case(
                "POST",
                f"/api/v1/organizations/{org}/members",
                lambda s: {
                    "email": "new@example.com",
                    "role": "annotator",
                    "password": "long enough pass",
                    "name": s,
                },
                "name",
            ),
        ),
    ]


def test_every_json_field_refuses_nul_and_lone_surrogates(stack: Stack, factory: Factory) -> None:
    w = _world(stack, factory)
    tokens = {"owner": w.owner.token, "annotator": w.annotator.token, "anyone": None}
    with stack.client(w.owner.token) as owner:
        before = {
            "project": owner.get(f"/api/v1/projects/{w.project['id']}").json(),
            "task": owner.get(f"/api/v1/tasks/{w.task}").json(),
            "annotation": owner.get(f"/api/v1/annotations/{w.annotation}").json(),
            "projects": owner.get("/api/v1/projects").json(),
            "members": owner.get(f"/api/v1/organizations/{w.owner.organization_id}/members").json(),
        }
    for who, case in _cases(w):
        with stack.client(tokens[who]) as client:
            for bad, reason in ((f"a{NUL}b", NUL_REASON), (f"a{LONE}b", LONE_REASON)):
                response = send(client, case.method, case.url, case.body(bad))
                assert response.status_code == 422, (case, response.text)
                assert_refused(response, case.field, reason)
    with stack.client(w.owner.token) as owner:
        assert owner.get(f"/api/v1/projects/{w.project['id']}").json() == before["project"]
        assert owner.get(f"/api/v1/tasks/{w.task}").json() == before["task"]
        assert owner.get(f"/api/v1/annotations/{w.annotation}").json() == before["annotation"]
        assert owner.get("/api/v1/projects").json() == before["projects"]
        members = owner.get(f"/api/v1/organizations/{w.owner.organization_id}/members").json()
        assert members == before["members"]
        assert owner.get(f"/api/v1/tasks/{w.task}/reports").json() == []
    with stack.client(w.annotator.token) as annotator:
        assert annotator.get("/api/v1/auth/preferences").json() == {}
        assert [t["name"] for t in annotator.get("/api/v1/auth/tokens").json()] == ["test"]
        assert annotator.get("/api/v1/auth/me").json()["user"]["name"] == ""
        lease_again = annotator.post(f"/api/v1/projects/{w.project['id']}/next").json()
        assert lease_again["task"]["id"] == w.task and lease_again["draft"] is None


def test_numbers_and_depths_the_json_columns_cannot_hold(stack: Stack, factory: Factory) -> None:
    # orjson writes the JSON columns: no integer past 64 bits (a 500 on both databases), nothing
    # nested 255 deep (a 500), and NaN or Infinity as null (silently changed).
    w = _world(stack, factory)
    deep: Any = "leaf"
    for _ in range(260):
        deep = [deep]
    with stack.client(w.annotator.token) as client:
        url = "/api/v1/auth/preferences"
        for value, name in ((float("nan"), "NaN"), (float("-inf"), "-Infinity")):
            assert_refused(
                send(client, "PUT", url, {"x": [1, value]}),
                "x[1]",
                f"{name} is not a number that can be stored (NaN and Infinity are not JSON)",
            )
        # Read by orjson, a number past 64 bits is a float, as in a task file; read by Python's
        # decoder (the body holds what orjson refuses) it is refused.
        assert_refused(
            send(client, "PUT", url, {"n": 10**30, "x": float("nan")}),
            "n",
            f"{10**30} is too large a number to store (past 64 bits)",
        )
        refused = send(client, "PUT", url, {"deep": deep})
        assert_refused(
            refused,
            "deep" + "[0]" * 253,
            "nested more than 254 levels deep, which cannot be stored",
        )
        submitted = send(
            client,
            "POST",
            f"/api/v1/tasks/{w.task}/annotations",
            {"id": "a3", "result": [box()], "lead_time": float("inf")},
        )
        assert_refused(
            submitted,
            "lead_time",
            "Infinity is not a number that can be stored (NaN and Infinity are not JSON)",
        )
        # The largest ones that can be stored are kept as they are.
        kept = {"n": [2**64 - 1, -(2**63)], "deep": [[[[1]]]], "f": 1.5e300}
        assert client.put(url, json=kept).status_code == 200
        assert client.get(url).json() == kept
        assert client.put(url, json={"n": 10**30}).status_code == 200
        assert client.get(url).json() == {"n": 1e30}


def test_a_nul_in_a_path_or_a_query_names_the_parameter(stack: Stack, factory: Factory) -> None:
    # On PostgreSQL these were 500s (a text parameter with a NUL in a query).
    owner = factory.owner()
    project = factory.project(owner)
    base = f"/api/v1/projects/{project['id']}"
    with stack.client(owner.token) as client:
        for name in ("annotator", "label", "sort", "state"):
            response = client.get(f"{base}/tasks/table", params={name: f"a{NUL}"})
            assert_refused(response, name, NUL_REASON)
        assert_refused(client.get(f"{base}/media/a%00b.png"), "key", NUL_REASON)
        assert_refused(client.get(f"{base}/media/a%00b.png/thumbnail"), "key", NUL_REASON)
        # A U+FFFD (what a byte that is not UTF-8 decodes to) is a character like any other.
        fine = client.get(f"{base}/tasks/table", params={"annotator": "a\ufffd"})
        assert fine.status_code == 200, fine.text


def _job(stack: Stack, client: httpx.Client, response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    stack.run_jobs()
    return dict(client.get(f"/api/v1/jobs/{response.json()['id']}").json())


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_an_inline_import_reports_its_rows_that_cannot_be_stored(
    stack: Stack, factory: Factory, skip_invalid: bool
) -> None:
    # A lone surrogate in an inline import was a 500 (the request could not write the rows
    # down); a NUL a row error. Both are the job's row errors now, naming row and field.
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT_SCHEMA)
    tasks = [
        {"text": "fine"},
        {"text": f"lone {LONE} here"},
        {"data": {"text": "ok", "meta": {f"k{LONE}": 1}}},
        {"text": "ok", "tags": ["a", f"b{NUL}"]},
        {"data": {"text": "a pair \ud83d\ude00 is a character"}},
    ]
    with stack.client(owner.token) as client:
        job = _job(
            stack,
            client,
            send(
                client,
                "POST",
                f"/api/v1/projects/{project['id']}/imports",
                {"tasks": tasks, "skip_invalid": skip_invalid},
            ),
        )
        texts = [
            t["data"]["text"]
            for t in client.get(f"/api/v1/projects/{project['id']}/tasks").json()["items"]
        ]
    assert job["attempts"] == 1, job
    assert [(e["row"], e["field"], e["message"], e["scope"]) for e in job["errors"]] == [
        (2, "data.text", LONE_REASON, "row"),
        (3, "data.meta", LONE_REASON, "row"),
        (4, "data.tags[1]", NUL_REASON, "row"),
    ]
    if skip_invalid:
        assert job["state"] == "succeeded", job
        assert texts == ["fine", "a pair \U0001f600 is a character"]
    else:
        assert job["state"] == "failed", job
        assert texts == []


def test_task_files_report_their_rows_that_cannot_be_stored(stack: Stack, factory: Factory) -> None:
    # In a file a lone surrogate failed the whole file as invalid JSON (orjson refuses one);
    # in a file over 1 MiB, read row by row, it became "?" unannounced.
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT_SCHEMA)
    filler = "x" * 1000
    big = [{"text": f"{i} {filler}"} for i in range(1100)]
    big[700] = {"text": f"lone {LONE}"}
    files = {
        "small.json": json.dumps([{"text": "a"}, {"text": LONE}, {"text": "b", "n": float("nan")}]),
        "lines.jsonl": "\n".join(json.dumps(t) for t in [{"text": "c"}, {"text": f"x{LONE}"}]),
        "big.json": json.dumps(big),
    }
    assert len(files["big.json"]) > 1024 * 1024
    with stack.client(owner.token) as client:
        job = _job(
            stack,
            client,
            client.post(
                f"/api/v1/projects/{project['id']}/imports/files",
                files=[
                    ("files", (name, text.encode(), "application/json"))
                    for name, text in files.items()
                ],
                data={"skip_invalid": "true"},
            ),
        )
        count = client.get(f"/api/v1/projects/{project['id']}/progress").json()["tasks"]
    assert job["state"] == "succeeded", job
    assert [(e["file"], e["row"], e["field"], e["message"]) for e in job["errors"]] == [
        ("small.json", 2, "data.text", LONE_REASON),
        ("small.json", 3, "data.n", NAN_REASON),
        ("lines.jsonl", 2, "data.text", LONE_REASON),
        ("big.json", 701, "data.text", LONE_REASON),
    ]
    assert count == 1 + 1 + 1099


def test_a_large_body_is_checked_too(stack: Stack, factory: Factory) -> None:
    # Over 256 KiB a body is decoded in pieces by Python's decoder, in a thread (bodies.py):
    # what orjson would have refused comes through, and is named all the same.
    w = _world(stack, factory)
    boxes = [box(f"r{i}", attributes={"note": "n" * 40}) for i in range(2500)]
    deep: Any = 1
    for _ in range(260):
        deep = [deep]
    attacks = [
        (lambda b: b.update(label=f"a{LONE}"), "result[1700].label", LONE_REASON),
        (lambda b: b.update(label=f"a{NUL}"), "result[1700].label", NUL_REASON),
        (
            lambda b: b["attributes"].update(n=10**30),
            "result[1700].attributes.n",
            f"{10**30} is too large a number to store (past 64 bits)",
        ),
        (lambda b: b["attributes"].update(n=float("nan")), "result[1700].attributes.n", NAN_REASON),
        (
            lambda b: b["attributes"].update(deep=deep),
            "result[1700].attributes.deep" + "[0]" * 250,
            "nested more than 254 levels deep, which cannot be stored",
        ),
    ]
    url = f"/api/v1/tasks/{w.task}/annotations"
    with stack.client(w.annotator.token) as client:
        for attack, field, reason in attacks:
            result = json.loads(json.dumps(boxes))
            attack(result[1700])
            body = {"id": "big", "result": result}
            assert len(json.dumps(body)) > 256 * 1024
            assert_refused(send(client, "POST", url, body), field, reason)
        made = send(client, "POST", url, {"id": "big", "result": boxes})
        assert made.status_code == 201, made.text
