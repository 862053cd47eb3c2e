"""Request bodies that are not file uploads are limited (max_json_bytes), before they are read."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
from sqlalchemy import func, select

from accord_server.db.models import Job
from accord_server.settings import Settings
from support import Factory, running_stack

LIMIT = 4096


def _tasks_body(n: int) -> bytes:
    return orjson.dumps({"tasks": [{"text": f"task number {i}"} for i in range(n)]})


def _jobs(stack: object) -> int:
    with stack.runtime.db.session() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(Job)) or 0)


def test_json_bodies_over_the_limit_are_refused_and_uploads_are_not(settings: Settings) -> None:
    with running_stack(settings.model_copy(update={"max_json_bytes": LIMIT})) as stack:
        factory = Factory(stack)
        owner = factory.owner()
        project = factory.project(
            owner,
            schema={
                "media": "text",
                "tools": [{"name": "t", "type": "classification", "choices": ["a", "b"]}],
            },
        )
        url = f"/api/v1/projects/{project['id']}/imports"
        big, small = _tasks_body(200_000), _tasks_body(10)
        assert len(big) > LIMIT > len(small)
        headers = {"content-type": "application/json"}

        def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
            for start in range(0, len(big), 65536):
                yield big[start : start + 65536]

        with stack.client(owner.token) as client:
            declared = client.post(url, content=big, headers=headers)
            assert declared.status_code == 413
            body = declared.json()
            assert body["code"] == "too_large" and body["details"] == {"limit": LIMIT}
            assert f"larger than the limit of {LIMIT} bytes" in body["message"]
            assert "/imports/files" in body["message"]
            streamed = client.post(url, content=chunks(), headers=headers)
            assert streamed.status_code == 413
            assert streamed.json()["code"] == "too_large"
            # Multipart is no way around it: only the upload route takes files.
            sneaked = client.post(
                url,
                files={"files": ("t.jsonl", big)},
                data={"batch": "b"},
            )
            assert sneaked.status_code == 413
            assert "for JSON" in sneaked.json()["message"]
            # The client goes on working after the refusals.
            assert client.post(url, content=small, headers=headers).status_code == 202
            # A file upload of the same size goes through: uploads have their own limit.
            jsonl = b"\n".join(orjson.dumps({"text": f"task number {i}"}) for i in range(400))
            assert len(jsonl) > LIMIT
            uploaded = client.post(f"{url}/files", files={"files": ("t.jsonl", jsonl)})
            assert uploaded.status_code == 202, uploaded.text
        assert _jobs(stack) == 2  # the small JSON import and the upload; nothing of the refused


def test_the_limits_are_told_to_a_logged_in_client(settings: Settings) -> None:
    configured = {"max_json_bytes": LIMIT, "max_upload_bytes": 5 * 1024 * 1024, "max_regions": 7}
    with running_stack(settings.model_copy(update=configured)) as stack:
        owner = Factory(stack).owner()
        with stack.client(owner.token) as client:
            r = client.get("/api/v1/limits")
        assert r.status_code == 200
        assert r.json() == configured
        with stack.client() as anonymous:
            assert anonymous.get("/api/v1/limits").status_code == 401
