"""Crediting imported annotations: the member of the project's organization with the source
person's email, else an imported annotator of that organization.

An imported annotator is a ``users`` row for a person of another tool: no password, never
active (``sessions.py`` refuses logins, sessions and tokens of inactive users), no membership
(so no project, queue or API is open to them), an email under the reserved ``.invalid``
domain that nobody can register (``accounts.py`` refuses it). It is named from the source
("Label Studio user 12", the name or email given) and found again by ``(organization,
import_key)`` on later imports of the same person, so agreement sees the same people each
time. Another organization's imported annotators are never reused: each organization keeps
its own, as it keeps its own members.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord_server.db.models import Membership, User
from accord_server.services.accounts import IMPORTED_EMAIL_DOMAIN
from accord_server.services.imports.people import SourcePerson

_IN_CHUNK = 500
"""Values per ``IN (...)`` list (SQLite caps the parameters of a statement)."""


def imported_email(organization_id: int, key: str) -> str:
    """The placeholder email of an imported annotator: unique per organization and source
    person, under a domain no mail reaches and no account may use."""
    digest = hashlib.sha256(f"{organization_id}\0{key}".encode()).hexdigest()[:24]
    return f"imported-{organization_id}-{digest}@{IMPORTED_EMAIL_DOMAIN}"


class Crediting:
    """Who gets each source person's annotations in one organization, resolved once per
    person for the whole import (``user_ids``); ``created`` counts the imported annotators it
    added."""

    def __init__(self, session: Session, organization_id: int) -> None:
        self._session = session
        self._organization_id = organization_id
        self._ids: dict[str, int] = {}
        self.created = 0

    def user_ids(self, people: Iterable[SourcePerson]) -> dict[str, int]:
        """Every person's user id by key (those seen before are not looked up again)."""
        missing = {p.key: p for p in people if p.key not in self._ids}
        if missing:
            self._members(missing)
            self._imported(missing)
            self._create(missing)
        return self._ids

    def _members(self, missing: dict[str, SourcePerson]) -> None:
        by_email = {p.email: key for key, p in missing.items() if p.email}
        emails = list(by_email)
        for i in range(0, len(emails), _IN_CHUNK):
            rows = self._session.execute(
                select(User.id, User.email)
                .join(Membership, Membership.user_id == User.id)
                .where(
                    Membership.organization_id == self._organization_id,
                    User.email.in_(emails[i : i + _IN_CHUNK]),
                )
            )
            for user_id, email in rows:
                key = by_email[email]
                self._ids[key] = user_id
                del missing[key]

    def _imported(self, missing: dict[str, SourcePerson]) -> None:
        keys = list(missing)
        for i in range(0, len(keys), _IN_CHUNK):
            rows = self._session.execute(
                select(User.id, User.import_key).where(
                    User.imported_organization_id == self._organization_id,
                    User.import_key.in_(keys[i : i + _IN_CHUNK]),
                )
            )
            for user_id, key in rows:
                assert key is not None
                self._ids[key] = user_id
                del missing[key]

    def _create(self, missing: dict[str, SourcePerson]) -> None:
        users = [
            User(
                email=imported_email(self._organization_id, key),
                name=person.name,
                password_hash=None,
                is_active=False,
                imported_organization_id=self._organization_id,
                import_key=key,
            )
            for key, person in missing.items()
        ]
        if not users:
            return
        self._session.add_all(users)
        self._session.flush()
        for user in users:
            assert user.import_key is not None
            self._ids[user.import_key] = user.id
        self.created += len(users)
        missing.clear()
