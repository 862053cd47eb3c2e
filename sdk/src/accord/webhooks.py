"""Checking webhook messages from Accord in your receiver (Standard Webhooks signatures).

    from accord.webhooks import verify

    event = verify(secret, request.headers, request.body)   # raises InvalidSignature
    if seen(event_id := request.headers["webhook-id"]):     # at least once: drop repeats
        return 200
    handle(event["type"], event["data"])

``secret`` is the ``whsec_...`` value shown when the webhook was created (or its secret
rotated). ``body`` must be the raw bytes received: the signature covers them exactly, so parse
the JSON only after verifying. The signed content is ``{webhook-id}.{webhook-timestamp}.{body}``
(HMAC-SHA256, base64, ``v1,`` prefix), the scheme any Standard Webhooks library checks too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from accord._exceptions import InvalidSignature

__all__ = ["DEFAULT_TOLERANCE", "InvalidSignature", "sign", "verify"]

DEFAULT_TOLERANCE = 300
"""Seconds a message's timestamp may be from now (replayed old messages are refused)."""
_PREFIX = "whsec_"


def _key(secret: str | bytes) -> bytes:
    if isinstance(secret, bytes):
        return secret
    try:
        key = base64.b64decode(secret.removeprefix(_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("secret: not a whsec_ secret (base64 after the prefix)") from None
    if not key:
        raise ValueError("secret: empty")
    return key


def sign(secret: str | bytes, message_id: str, timestamp: int, body: bytes | str) -> str:
    """The ``webhook-signature`` value of a message (``v1,<base64 HMAC-SHA256>``): what the
    server sends; handy to test a receiver."""
    data = body.encode() if isinstance(body, str) else body
    signed = f"{message_id}.{timestamp}.".encode() + data
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    secret: str | bytes,
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Any:
    """The message's JSON body, once its signature checks out with ``secret`` and its
    timestamp is within ``tolerance`` seconds of ``now`` (default: the clock); otherwise
    ``InvalidSignature``. ``headers`` may be any mapping (names in any case)."""
    lower = {k.lower(): v for k, v in headers.items()}
    message_id = lower.get("webhook-id")
    stamp = lower.get("webhook-timestamp")
    signatures = lower.get("webhook-signature")
    if not (message_id and stamp and signatures):
        raise InvalidSignature(
            "missing header: webhook-id, webhook-timestamp and webhook-signature are required"
        )
    try:
        timestamp = int(stamp)
    except ValueError:
        raise InvalidSignature(f"webhook-timestamp {stamp!r} is not a whole number") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise InvalidSignature(
            f"webhook-timestamp is {current - timestamp:+.0f} s from now "
            f"(tolerance {tolerance:g} s)"
        )
    expected = sign(secret, message_id, timestamp, body).split(",", 1)[1]
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return json.loads(body)
    raise InvalidSignature("no webhook-signature matches the secret")
