"""S3: import from a bucket prefix, and keep media in S3 (moto in server mode over HTTP)."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import boto3
import pytest
from PIL import Image

from accord_server.settings import Settings
from support import Factory, running_stack


def _png(width: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, 20), "white").save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # A grant's own credentials: a profile of the server's AWS shared config.
    credentials = tmp_path / "aws-credentials"
    credentials.write_text("[acme]\naws_access_key_id = acme\naws_secret_access_key = acme\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config-absent"))


def test_import_from_s3_prefix_into_s3_storage(
    settings: Settings, s3_endpoint: str, aws_env: None
) -> None:
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    source, media = f"src-{uuid.uuid4().hex[:8]}", f"media-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=source)
    s3.create_bucket(Bucket=media)
    for i in range(3):
        s3.put_object(Bucket=source, Key=f"photos/set/{i}.png", Body=_png(10 + i))
    s3.put_object(Bucket=source, Key="photos2/not-this.png", Body=_png(99))
    s3.put_object(
        Bucket=source,
        Key="photos/tasks.jsonl",
        Body=b'{"image": "https://example.com/remote.jpg"}\n',
    )
    configured = settings.model_copy(
        update={"s3_endpoint_url": s3_endpoint, "storage_url": f"s3://{media}/accord"}
    )
    with running_stack(configured) as stack:
        factory = Factory(stack)
        owner = factory.owner()
        project = factory.project(owner)
        granted = factory.grant(owner, bucket=source, prefix="photos", profile="acme")
        with stack.client(owner.token) as client:
            r = client.post(
                f"/api/v1/projects/{project['id']}/imports",
                json={"source": {"id": granted}},
            )
            assert r.status_code == 202, r.text
            stack.run_jobs()
            job = client.get(f"/api/v1/jobs/{r.json()['id']}").json()
            assert job["state"] == "succeeded", job
            assert job["counts"]["tasks"] == 4
            items = client.get(f"/api/v1/projects/{project['id']}/tasks").json()["items"]
            widths = sorted(t["meta"]["width"] for t in items if "width" in t["meta"])
            assert widths == [10, 11, 12]
            image = next(t for t in items if t["meta"].get("width") == 11)
            fetched = client.get(image["data"]["image"])
            assert fetched.status_code == 200 and fetched.content == _png(11)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=media)["Contents"]]
    assert len([k for k in keys if k.startswith("accord/sha256/")]) >= 3


def test_the_media_bucket_cannot_be_granted_and_a_missing_profile_fails_the_import(
    settings: Settings, s3_endpoint: str, aws_env: None
) -> None:
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    source, media = f"src-{uuid.uuid4().hex[:8]}", f"media-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=source)
    s3.create_bucket(Bucket=media)
    s3.put_object(Bucket=source, Key="a/t.jsonl", Body=b'{"image": "https://x/1.png"}\n')
    configured = settings.model_copy(
        update={"s3_endpoint_url": s3_endpoint, "storage_url": f"s3://{media}/accord"}
    )
    with running_stack(configured) as stack:
        factory = Factory(stack)
        owner = factory.owner()
        project = factory.project(owner)
        _, admin = factory.server_admin()
        with stack.client(admin) as client:
            for bucket, prefix in ((media, ""), (media, "accord"), (media, "accord/sha256")):
                r = client.post(
                    f"/api/v1/organizations/{owner.organization_id}/import-sources",
                    json={"name": "media", "kind": "s3", "bucket": bucket, "prefix": prefix},
                )
                assert r.status_code == 422, (prefix, r.text)
                assert "overlaps the media store" in r.json()["message"]
            # Another prefix of the media bucket is not the media store.
            r = client.post(
                f"/api/v1/organizations/{owner.organization_id}/import-sources",
                json={"name": "drop", "kind": "s3", "bucket": media, "prefix": "drop"},
            )
            assert r.status_code == 201, r.text
        missing = factory.grant(owner, bucket=source, prefix="a", profile="nobody")
        with stack.client(owner.token) as client:
            r = client.post(
                f"/api/v1/projects/{project['id']}/imports", json={"source": {"id": missing}}
            )
            assert r.status_code == 202, r.text
            stack.run_jobs()
            job = client.get(f"/api/v1/jobs/{r.json()['id']}").json()
    assert job["state"] == "failed", job
    assert "no AWS profile 'nobody'" in job["message"], job
