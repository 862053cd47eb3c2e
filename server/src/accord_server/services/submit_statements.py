"""The submit path's SQL, built once per dialect (Core statements: the ORM's unit of work would
double a submit's cost)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import (
    BigInteger,
    Insert,
    Integer,
    Select,
    String,
    Update,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import CTE

from accord_server.db.direct import DirectStatement
from accord_server.db.models import Annotation, AnnotationRevision, Assignment, Event, Task
from accord_server.schemas.enums import EventKind

ANNOTATION_COLUMNS = (
    "client_id",
    "task_id",
    "project_id",
    "user_id",
    "result",
    "origin",
    "lead_time",
    "revision",
    "created_at",
    "updated_at",
)


@dataclass(frozen=True)
class SubmitStatements:
    by_client_id: Select[int, int]
    transition: Update
    take_open_slot: Update
    use_slot: Update
    hand_out: Insert
    count_annotation: Update
    annotation: ReturningInsert[int] | Select[int]
    """The annotation's insert; on PostgreSQL with its revision, count and event (see below)."""
    with_effects: bool
    submit_leased: DirectStatement | None
    """PostgreSQL: a whole submit on a lease in one statement (statement-atomic submits)."""
    submit_handed_out: DirectStatement | None
    """PostgreSQL: a whole submit without a lease (a manager's) in one statement."""
    revision: Insert
    event: Insert


@functools.cache
def submit_statements(postgres: bool) -> SubmitStatements:
    """The submit path's statements for a dialect; they run on the session's connection.

    The annotation's insert does nothing when the user already used its client id: that is how
    a submit learns that it is a retry, or a reused id, without a query of its own."""
    user_id: BindParameter[int] = bindparam("user_id")
    now: BindParameter[datetime] = bindparam("now")
    return SubmitStatements(
        by_client_id=select(Annotation.id, Annotation.task_id).where(
            Annotation.user_id == user_id, Annotation.client_id == bindparam("client_id")
        ),
        transition=update(Assignment)
        .where(Assignment.id == bindparam("assignment_id"), Assignment.state == bindparam("old"))
        .values(state=bindparam("new"), finished_at=now),
        take_open_slot=update(Task)
        .where(Task.id == bindparam("the_task"), Task.open_slots > 0)
        .values(open_slots=Task.open_slots - 1),
        use_slot=update(Task)
        .where(Task.id == bindparam("the_task"))
        .values(open_slots=Task.open_slots - 1),
        hand_out=insert(Assignment),
        count_annotation=update(Task)
        .where(Task.id == bindparam("the_task"))
        .values(annotation_count=Task.annotation_count + 1),
        annotation=_annotation_with_effects()
        if postgres
        else sqlite.insert(Annotation)
        .on_conflict_do_nothing(index_elements=["user_id", "client_id"])
        .returning(Annotation.id),
        with_effects=postgres,
        submit_leased=DirectStatement(_annotation_with_effects("lease")) if postgres else None,
        submit_handed_out=(
            DirectStatement(_annotation_with_effects("hand_out")) if postgres else None
        ),
        revision=insert(AnnotationRevision),
        event=insert(Event),
    )


def _annotation_with_effects(slot: Literal["lease", "hand_out"] | None = None) -> Select[int]:
    """PostgreSQL: the annotation, its first revision, the task's count and the event in ONE
    statement (data-modifying CTEs), one round trip instead of four; each follows the
    annotation's row, so when the client id is taken nothing at all is written.

    With a ``slot``, the statement also takes the task's slot, and is a whole submit: "lease"
    moves the caller's lease (``assignment_id``) to submitted, and writes nothing when it is no
    longer leased; "hand_out" records a finished assignment and uses one of the task's slots.
    Those have no ON CONFLICT: a client id in use fails the statement, all of it.

    Its parameters are named ``new_<column>``: an UPDATE (the count's, here) takes every
    execution parameter named like one of its table's columns into its SET clause."""
    one = literal_column("1", Integer)
    now = bindparam("now", type_=Annotation.created_at.type)
    moved: CTE | None = None
    if slot == "lease":
        moved = (
            update(Assignment)
            .where(Assignment.id == bindparam("assignment_id"), Assignment.state == "leased")
            .values(state="submitted", finished_at=now)
            .returning(Assignment.id)
            .cte("moved")
        )
    elif slot == "hand_out":
        moved = (
            insert(Assignment)
            .values(
                task_id=bindparam("new_task_id"),
                project_id=bindparam("new_project_id"),
                user_id=bindparam("new_user_id"),
                state="submitted",
                leased_at=now,
                lease_expires_at=now,
                finished_at=now,
            )
            .returning(Assignment.id)
            .cte("moved")
        )
    columns = {
        column: bindparam(f"new_{column}", type_=Annotation.__table__.c[column].type)
        for column in ANNOTATION_COLUMNS
    }
    write: Insert
    if moved is None:
        write = (
            postgresql.insert(Annotation)
            .values(columns)
            .on_conflict_do_nothing(index_elements=["user_id", "client_id"])
        )
    else:
        write = insert(Annotation).from_select(
            list(columns), select(*columns.values()).select_from(moved)
        )
    written = write.returning(
        Annotation.id,
        Annotation.task_id,
        Annotation.project_id,
        Annotation.user_id,
        Annotation.result,
        Annotation.lead_time,
        Annotation.created_at,
    ).cte("written")
    revision = (
        insert(AnnotationRevision)
        .from_select(
            ["annotation_id", "revision", "result", "lead_time", "user_id", "created_at"],
            select(
                written.c.id,
                one,
                written.c.result,
                written.c.lead_time,
                written.c.user_id,
                written.c.created_at,
            ),
        )
        .cte("revision")
    )
    count = {"annotation_count": Task.annotation_count + one}
    if slot == "hand_out":
        count["open_slots"] = Task.open_slots - one  # overlap counts it, room or not
    counted = update(Task).where(Task.id == written.c.task_id).values(count).cte("counted")
    # The payload is services/events.py's AnnotationPayload, built in SQL.
    payload = func.jsonb_build_object(
        literal_column("'annotation_id'"),
        written.c.id,
        literal_column("'task_id'"),
        written.c.task_id,
        literal_column("'user_id'"),
        written.c.user_id,
        literal_column("'revision'"),
        one,
    )
    event = (
        insert(Event)
        .from_select(
            ["organization_id", "project_id", "kind", "payload", "created_at"],
            select(
                bindparam("organization_id", type_=BigInteger),
                written.c.project_id,
                literal_column(f"'{EventKind.ANNOTATION_CREATED.value}'", String),
                payload,
                written.c.created_at,
            ),
        )
        .cte("event")
    )
    return select(written.c.id).add_cte(revision, counted, event)
