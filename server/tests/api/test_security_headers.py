"""Security headers on every answer (issue 13, finding 8): pages run only our own scripts,
everything else (JSON, errors, media) runs nothing and cannot be framed or sniffed into a page;
/docs is served from this server, with no script from a CDN."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image

from accord_server.settings import Settings
from accord_server.testing.stack import running_stack
from support import Factory, Stack

COMMON = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def _assert_common(headers: dict[str, str]) -> None:
    for name, value in COMMON.items():
        assert headers.get(name) == value, (name, headers)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(out, format="PNG")
    return out.getvalue()


def test_json_errors_and_media_run_nothing(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    with stack.client(owner.token) as client:
        r = client.post(
            f"/api/v1/projects/{project['id']}/imports/files",
            files=[("files", ("a.png", _png()))],
        )
        assert r.status_code == 202
        stack.run_jobs()
        task = client.get(f"/api/v1/projects/{project['id']}/tasks").json()["items"][0]
        media = client.get(task["data"]["image"])
        answers = [client.get("/api/v1/health"), media]
    with stack.client() as anonymous:
        answers.append(anonymous.get("/api/v1/projects"))  # 401
    assert [a.status_code for a in answers] == [200, 200, 401]
    for answer in answers:
        _assert_common(dict(answer.headers))
        policy = answer.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "sandbox" in policy


def test_pages_allow_only_our_scripts_and_docs_come_from_this_server(
    settings: Settings, tmp_path: Path
) -> None:
    web = tmp_path / "web"
    (web / "docs-assets").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><title>Accord</title>")
    (web / "docs-assets" / "swagger-ui-bundle.js").write_text("window.SwaggerUIBundle = 1;")
    with running_stack(settings.model_copy(update={"web_dir": web})) as stack, stack.client() as c:
        index, docs, init = c.get("/"), c.get("/docs"), c.get("/docs-init.js")
        bundle = c.get("/docs-assets/swagger-ui-bundle.js")
    assert [r.status_code for r in (index, docs, init, bundle)] == [200, 200, 200, 200]
    for page in (index, docs):
        _assert_common(dict(page.headers))
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert sources and all(s.startswith("/") for s in sources), sources  # nothing from a CDN
    assert "<script>" not in docs.text  # no inline script: the policy would block it
    assert "SwaggerUIBundle(" in init.text and "/openapi.json" in init.text
    assert init.headers["content-type"].startswith("text/javascript")


def test_docs_without_the_web_build_say_where_the_api_is(
    settings: Settings, tmp_path: Path
) -> None:
    with (
        running_stack(settings.model_copy(update={"web_dir": tmp_path})) as stack,
        stack.client() as client,
    ):
        docs = client.get("/docs")
    assert docs.status_code == 404
    assert "/openapi.json" in docs.text and "make setup" in docs.text
