"""The check constraints built from schemas/enums.py agree with what the migrations created.

Migration 0001 keeps its literal strings (a migration is history); these tests fail when an
enum gains or loses a value without a migration that changes the constraint to match."""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum

import pytest
from sqlalchemy import CheckConstraint, create_engine, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord_server.db.base import Base, utcnow
from accord_server.db.models import (
    Annotation,
    Assignment,
    ImportSource,
    Job,
    Membership,
    Organization,
    Project,
    Task,
    TaskReport,
    User,
    Webhook,
    WebhookDelivery,
)
from accord_server.schemas.enums import (
    AnnotationOrigin,
    AssignmentState,
    DeliveryState,
    JobState,
    ReportReason,
    Role,
    SourceKind,
)

# (table, constraint name, column, enum)
CHECKED: list[tuple[str, str, str, type[StrEnum]]] = [
    ("memberships", "ck_memberships_role", "role", Role),
    ("jobs", "ck_jobs_state", "state", JobState),
    ("annotations", "ck_annotations_origin", "origin", AnnotationOrigin),
    ("assignments", "ck_assignments_state", "state", AssignmentState),
    ("task_reports", "ck_task_reports_reason", "reason", ReportReason),
    ("import_sources", "ck_import_sources_kind", "kind", SourceKind),
    ("webhook_deliveries", "ck_webhook_deliveries_state", "state", DeliveryState),
]


def _quoted(sql: str) -> list[str]:
    """The string literals of an SQL expression, in order."""
    return [value.replace("''", "'") for value in re.findall(r"'((?:[^']|'')*)'", sql)]


def _model_constraint(table: str, name: str) -> CheckConstraint:
    [found] = [
        c
        for c in Base.metadata.tables[table].constraints
        if isinstance(c, CheckConstraint) and c.name == name
    ]
    return found


@pytest.mark.parametrize(("table", "name", "column", "enum"), CHECKED)
def test_models_build_the_constraint_from_the_enum(
    table: str, name: str, column: str, enum: type[StrEnum]
) -> None:
    allowed = ", ".join(f"'{value}'" for value in enum)
    assert str(_model_constraint(table, name).sqltext) == f"{column} IN ({allowed})"


def test_every_enum_checked_in_the_models_is_listed_here() -> None:
    in_models = {
        (table.name, str(c.name))
        for table in Base.metadata.tables.values()
        for c in table.constraints
        if isinstance(c, CheckConstraint) and " IN (" in str(c.sqltext)
    }
    assert in_models == {(table, name) for table, name, _, _ in CHECKED}


def test_the_migrated_database_allows_the_enum_values(database_url: str) -> None:
    engine = create_engine(database_url)
    inspector = inspect(engine)
    for table, name, _column, enum in CHECKED:
        [reflected] = [c for c in inspector.get_check_constraints(table) if c["name"] == name]
        # PostgreSQL reflects its own rewriting (= ANY (ARRAY['a'::character varying, ...]));
        # the values and their order survive it.
        assert _quoted(reflected["sqltext"]) == [value.value for value in enum], table
        if engine.dialect.name == "sqlite":  # SQLite keeps the text as the migration wrote it
            assert reflected["sqltext"] == str(_model_constraint(table, name).sqltext)
    engine.dispose()


def test_the_migrated_database_refuses_other_values(database_url: str) -> None:
    engine = create_engine(database_url)
    with Session(engine) as session:
        org = Organization(name="Org")
        user = User(email="a@example.com")
        session.add_all([org, user])
        session.flush()
        project = Project(organization_id=org.id, name="P", media="image", label_schema={})
        session.add(project)
        session.flush()
        task = Task(project_id=project.id, data={}, open_slots=1)
        session.add(task)
        session.flush()
        tomorrow = utcnow() + timedelta(days=1)
        webhook = Webhook(
            organization_id=org.id, url="https://example.com/", events=["*"], secret_encrypted="x"
        )
        session.add(webhook)
        session.flush()
        rows = {
            Role: lambda v: Membership(organization_id=org.id, user_id=user.id, role=v),
            JobState: lambda v: Job(organization_id=org.id, kind="import", state=v),
            AnnotationOrigin: lambda v: Annotation(
                client_id=f"c-{v}", task_id=task.id, project_id=project.id, result=[], origin=v
            ),
            AssignmentState: lambda v: Assignment(
                task_id=task.id,
                project_id=project.id,
                user_id=user.id,
                state=v,
                lease_expires_at=tomorrow,
            ),
            ReportReason: lambda v: TaskReport(
                task_id=task.id, project_id=project.id, user_id=user.id, reason=v
            ),
            SourceKind: lambda v: ImportSource(
                organization_id=org.id, name=f"s-{v}", kind=v, location="/x"
            ),
            DeliveryState: lambda v: WebhookDelivery(
                webhook_id=webhook.id, kind="task.created", message_id="m", payload={}, state=v
            ),
        }
        for enum, make in rows.items():
            for value in enum:  # each value is accepted ...
                with session.begin_nested() as savepoint:
                    session.add(make(value))
                    session.flush()
                    savepoint.rollback()
            with pytest.raises(IntegrityError), session.begin_nested():  # ... and no other
                session.add(make("bogus"))
                session.flush()
        session.rollback()
    engine.dispose()
