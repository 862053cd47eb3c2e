"""Who made an imported annotation, as the source names them: an email, a name, or another
tool's user id. ``annotators.py`` credits each to a member or to an imported annotator; this
module only reads (no database), so the parsers and the label-set readers share it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord_server.services.formats.label_studio import json_type_name

MAX_NAME = 200
"""``users.name``'s length: longer source names are cut."""
MAX_KEY = 400
"""``users.import_key``'s length."""


@dataclass(frozen=True, slots=True)
class SourcePerson:
    """A person of the source: ``key`` is what stays the same across imports of the same
    person (``email:a@b.c``, ``label-studio:12``, ``name:Ann``, ``anonymous:1``), ``name``
    what lists show, ``email`` set when the source gave one (a member with it is credited)."""

    key: str
    name: str
    email: str | None = None


class PersonError(ValueError):
    """``completed_by`` that names nobody Accord can credit; ``path`` is inside it."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def anonymous(index: int) -> SourcePerson:
    """The ``index``-th (1-based) annotation of a task whose source names no one: the same
    imported annotator for the same position in every task, so the people of one task stay
    distinct (agreement needs that) without inventing more people than a task has."""
    return SourcePerson(f"anonymous:{index}", f"Imported annotator {index}")


def _email_or_name(text: str) -> SourcePerson:
    text = text.strip()
    if "@" in text and not text.startswith("@") and not text.endswith("@"):
        email = text.lower()
        return SourcePerson(f"email:{email}"[:MAX_KEY], email[:MAX_NAME], email)
    return SourcePerson(f"name:{text}"[:MAX_KEY], text[:MAX_NAME])


def person_named(text: str) -> SourcePerson:
    """The person a label set's ``annotator`` names (an email, else a name or id)."""
    if not text.strip():
        raise PersonError("", "expected an email or a name, got an empty string")
    return _email_or_name(text)


def _tool_user(user_id: int, tool: str, label: str) -> SourcePerson:
    return SourcePerson(f"{tool}:{user_id}", f"{label} user {user_id}")


def source_person(raw: Any) -> SourcePerson | None:
    """The person of an imported annotation's ``completed_by``: an email or name (Accord's
    shape), a Label Studio user id, or Label Studio's user object (``{"id", "email",
    "first_name", "last_name"}``); None when it names no one. Raises ``PersonError``."""
    if raw is None:
        return None
    if type(raw) is str:
        return person_named(raw)
    if type(raw) is int:
        return _tool_user(raw, "label-studio", "Label Studio")
    if type(raw) is not dict:
        raise PersonError(
            "", f"expected an email, a name, a user id or a user object, got {json_type_name(raw)}"
        )
    email = raw.get("email")
    full = " ".join(
        str(raw[k]).strip() for k in ("first_name", "last_name") if type(raw.get(k)) is str
    ).strip()
    if type(email) is str and email.strip():
        found = _email_or_name(email)
        if found.email is not None and full:
            return SourcePerson(found.key, full[:MAX_NAME], found.email)
        return found
    user_id = raw.get("id")
    if type(user_id) is int:
        found = _tool_user(user_id, "label-studio", "Label Studio")
        return SourcePerson(found.key, full[:MAX_NAME]) if full else found
    raise PersonError("", "a user object needs an email or an integer id")
