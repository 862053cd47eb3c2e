"""Exports kept in S3 (moto in server mode over HTTP): stored as one object under the prefix,
downloaded whole and by range."""

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


def test_export_to_s3_and_ranged_download(
    settings: Settings, s3_endpoint: str, aws_env: None
) -> None:
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    bucket = f"media-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    configured = settings.model_copy(
        update={"s3_endpoint_url": s3_endpoint, "storage_url": f"s3://{bucket}/accord"}
    )
    with running_stack(configured) as stack:
        factory = Factory(stack)
        owner = factory.owner()
        project = factory.project(owner)["id"]
        factory.import_tasks(owner, project, [{"image": f"https://x/{i}.png"} for i in range(30)])
        task = lease(stack, owner, project)["task"]["id"]
        submit(stack, owner, task, [box("r1", "bike")], "o1")
        with stack.client(owner.token) as client:
            made = client.post(f"/api/v1/projects/{project}/exports", json={"format": "json"})
            assert made.status_code == 202, made.text
            stack.run_jobs()
            export = client.get(f"/api/v1/exports/{made.json()['id']}").json()
            assert export["state"] == "succeeded", export
            full = client.get(export["download_url"])
            assert full.status_code == 200 and len(full.content) == export["size"]
            assert hashlib.sha256(full.content).hexdigest() == export["sha256"]
            tail = client.get(export["download_url"], headers={"Range": "bytes=100-"})
            assert tail.status_code == 206 and tail.content == full.content[100:]
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
            stored = [k for k in keys if k.startswith("accord/derived/export/")]
            assert len(stored) == 1
            assert client.delete(f"/api/v1/exports/{export['id']}").status_code == 204
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert not [k for k in keys if k.startswith("accord/derived/export/")]
