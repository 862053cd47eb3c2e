"""Webhook signing (the Standard Webhooks scheme, checked against the spec's example and the
standardwebhooks library), the retry policy, and the key secrets are sealed with."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import standardwebhooks

from accord import webhooks as sdk_webhooks
from accord_server.runtime import SECRET_KEY_FILE, make_secret_box
from accord_server.services import webhooks
from accord_server.services.errors import Unavailable
from accord_server.services.secret_box import SecretBox, SecretUnreadable
from accord_server.settings import Settings

# The example of the Standard Webhooks specification (and of its reference libraries' tests).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signature_matches_the_specification_example() -> None:
    assert webhooks.sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE
    assert sdk_webhooks.sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE
    library = standardwebhooks.Webhook(SPEC_SECRET)
    when = datetime.fromtimestamp(SPEC_TIMESTAMP, tz=UTC)
    assert library.sign(SPEC_ID, when, SPEC_BODY.decode()) == SPEC_SIGNATURE


def test_a_fresh_secret_signs_what_the_library_and_the_sdk_verify() -> None:
    secret = webhooks.new_secret()
    assert secret.startswith("whsec_") and len(webhooks.secret_bytes(secret)) == 32
    assert webhooks.new_secret() != secret
    body = webhooks.body_bytes({"type": "task.created", "data": {"name": "Zoë"}})
    now = int(datetime.now(UTC).timestamp())
    headers = webhooks.message_headers(secret, "msg_1", now, body)
    assert standardwebhooks.Webhook(secret).verify(body, headers)["data"]["name"] == "Zoë"
    assert sdk_webhooks.verify(secret, headers, body)["type"] == "task.created"
    # A changed body, an old timestamp, a missing header: refused.
    with pytest.raises(sdk_webhooks.InvalidSignature, match="no webhook-signature"):
        sdk_webhooks.verify(secret, headers, body.replace(b"Zo", b"Jo"))
    with pytest.raises(sdk_webhooks.InvalidSignature, match="from now"):
        sdk_webhooks.verify(secret, headers, body, now=now + 301)
    with pytest.raises(sdk_webhooks.InvalidSignature, match="missing header"):
        sdk_webhooks.verify(secret, {"webhook-id": "msg_1"}, body)
    # Several signatures (a receiver mid-rotation): any v1 match will do.
    both = {**headers, "webhook-signature": "v1,AAAA " + headers["webhook-signature"]}
    assert sdk_webhooks.verify(secret, both, body)


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = webhooks.RetryPolicy(
        max_attempts=5, first_backoff=timedelta(seconds=10), max_backoff=timedelta(seconds=60)
    )
    assert [policy.backoff(n).total_seconds() for n in range(1, 6)] == [10, 20, 40, 60, 60]
    assert policy.backoff(10_000) == timedelta(seconds=60)


def test_events_are_checked() -> None:
    assert webhooks.check_events(["task.completed", "task.created", "task.completed"]) == [
        "task.completed",
        "task.created",
    ]
    assert webhooks.check_events(["batch.completed", "*"]) == ["*"]
    with pytest.raises(Exception, match="unknown event kind 'nope'"):
        webhooks.check_events(["nope"])
    with pytest.raises(Exception, match="at least one"):
        webhooks.check_events([])


def test_the_secret_box_opens_only_what_its_key_sealed() -> None:
    box = SecretBox("a long random server key, 1")
    sealed = box.seal("whsec_abc")
    assert "whsec_abc" not in sealed and box.open(sealed) == "whsec_abc"
    with pytest.raises(SecretUnreadable, match="ACCORD_SECRET_KEY"):
        SecretBox("another long random key, 2").open(sealed)
    with pytest.raises(ValueError, match="at least 16"):
        SecretBox("short")


def test_the_embedded_default_generates_and_keeps_a_key(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    sealed = make_secret_box(settings).seal("whsec_x")
    key_file = tmp_path / "data" / SECRET_KEY_FILE
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(key_file.read_text()) >= 48
    assert make_secret_box(settings).open(sealed) == "whsec_x"  # the same key, read back
    assert [p.name for p in key_file.parent.iterdir()] == [SECRET_KEY_FILE]


def test_postgres_without_a_key_is_refused_with_the_setting_named(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, database_url="postgresql+psycopg://accord@127.0.0.1:5432/x"
    )
    with pytest.raises(Unavailable, match="ACCORD_SECRET_KEY"):
        make_secret_box(settings)
    given = settings.model_copy(update={"secret_key": "a long random server key, 1"})
    assert make_secret_box(given).open(SecretBox("a long random server key, 1").seal("s")) == "s"
    assert not (tmp_path / SECRET_KEY_FILE).exists()
