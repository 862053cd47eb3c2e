"""Dataset versions kept in S3 (moto in server mode over HTTP): the manifest is one object under
the prefix, streamed back for an export of the version and by range, and deleted with it."""

from __future__ import annotations

import hashlib
import uuid

import boto3
import pytest

from accord_server.settings import Settings
from scenarios import box, lease, submit
from support import Factory, running_stack


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def test_a_version_in_s3(settings: Settings, s3_endpoint: str, aws_env: None) -> None:
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    bucket = f"media-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    configured = settings.model_copy(
        update={"s3_endpoint_url": s3_endpoint, "storage_url": f"s3://{bucket}/accord"}
    )

    def manifests() -> list[str]:
        found = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
        return [o["Key"] for o in found if o["Key"].startswith("accord/derived/dataset/")]

    with running_stack(configured) as stack:
        factory = Factory(stack)
        owner = factory.owner()
        project = factory.project(owner)["id"]
        factory.import_tasks(owner, project, [{"image": f"https://x/{i}.png"} for i in range(30)])
        task = lease(stack, owner, project)["task"]["id"]
        submit(stack, owner, task, [box("r1", "bike")], "o1")
        with stack.client(owner.token) as client:
            made = client.post(f"/api/v1/projects/{project}/versions", json={"name": "v"})
            assert made.status_code == 202, made.text
            stack.run_jobs()
            version = client.get(f"/api/v1/versions/{made.json()['id']}").json()
            assert version["state"] == "succeeded" and version["task_count"] == 30
            assert len(manifests()) == 1
            full = client.get(version["manifest_url"])
            assert hashlib.sha256(full.content).hexdigest() == version["manifest_sha256"]
            tail = client.get(version["manifest_url"], headers={"Range": "bytes=100-"})
            assert tail.status_code == 206 and tail.content == full.content[100:]
            export = client.post(
                f"/api/v1/projects/{project}/exports",
                json={"format": "jsonl", "version": version["id"]},
            )
            stack.run_jobs()
            done = client.get(f"/api/v1/exports/{export.json()['id']}").json()
            assert done["state"] == "succeeded" and done["task_count"] == 30, done
            assert client.delete(f"/api/v1/versions/{version['id']}").status_code == 204
    assert manifests() == []
