"""What a new password must be (NIST SP 800-63B 5.1.1.2): long enough, not a commonly used one,
not the account's email address or a variant of it."""

from __future__ import annotations

import functools
import gzip
import re
from importlib import resources

from accord_server.services.errors import Invalid

MIN_PASSWORD_LENGTH = 8
# A common password with digits or symbols added ("Sunshine2024!") is refused as well, when
# what is left is at least this long (the list also holds one-letter entries such as "a").
MIN_COMMON_STEM = 4
_TRAILING = re.compile(r"[\W\d_]+$")


@functools.cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords, lowercased (services/data/README.md: origin)."""
    data = resources.files("accord_server.services").joinpath("data/common-passwords.txt.gz")
    text = gzip.decompress(data.read_bytes()).decode()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def _squash(text: str) -> str:
    """Letters and digits only, case folded: ``John.Smith`` and ``johnsmith`` are one."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _stem(text: str) -> str:
    """``text`` without the digits and symbols at its end."""
    return _TRAILING.sub("", text)


def _is_common(password: str) -> str | None:
    lowered = password.strip().lower()
    listed = common_passwords()
    if lowered in listed:
        return "is one of the most common passwords (attackers try those first)"
    stem = _stem(lowered)
    if len(stem) >= MIN_COMMON_STEM and stem in listed:
        return "is a common password with digits or symbols added (attackers try those first)"
    return None


def _is_email_like(password: str, email: str) -> bool:
    local = email.split("@", 1)[0]
    candidates = {_squash(email), _squash(local), _stem(_squash(local))}
    candidates = {c for c in candidates if len(c) >= 3}
    squashed = _squash(password)
    return squashed in candidates or _stem(squashed) in candidates


def check_password_rules(password: str, *, email: str, field: str = "password") -> None:
    """Refuse a new password that is too short, commonly used, or the account's email address
    (or its name part, with or without digits and symbols added); Invalid names the field and
    the reason (``details.reason``: ``too_short``, ``common``, ``email``)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"{field}: must be at least {MIN_PASSWORD_LENGTH} characters",
            details={"field": field, "reason": "too_short"},
        )
    if _is_email_like(password, email):
        raise Invalid(
            f"{field}: must not be the account's email address or a variant of it",
            details={"field": field, "reason": "email"},
        )
    problem = _is_common(password)
    if problem:
        raise Invalid(
            f"{field}: {problem}; choose a longer or less predictable one",
            details={"field": field, "reason": "common"},
        )
