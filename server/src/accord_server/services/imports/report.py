"""An import's report: what each problem leaves out (``ImportScope``), counted in full, the
first ones kept (``MAX_ERRORS_KEPT``) with their file, row, field and message.

Scopes: a whole file (none of its rows is imported), a row (its task is not), one prediction
of an imported row (with ``skip_invalid`` the task is imported without it), one annotation of
an imported row (invalid, or cancelled in the source: its task is imported without it, always),
a file imported into the project before (its tasks and annotations are written again, as new
tasks). The first three are errors: any of them fails an import that is all or nothing. A task
imported without a prediction or an annotation is not a skipped row: importing the file again
would duplicate it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from accord_server import wording
from accord_server.schemas.enums import ImportScope as Scope
from accord_server.services import jobs as job_service
from accord_server.services.errors import Invalid
from accord_server.services.results.common import quote

__all__ = [
    "ERROR_SCOPES",
    "ErrorSink",
    "FileReport",
    "Scope",
    "Tally",
    "prediction_problem",
    "result_problem",
]

ERROR_SCOPES = frozenset({Scope.FILE, Scope.ROW, Scope.PREDICTION})
"""The problems that fail an all-or-nothing import."""


@dataclass
class Tally:
    """What the problems of an import leave out, counted (the report lists the first ones)."""

    errors: int = 0
    """Problems that fail an all-or-nothing import (``ERROR_SCOPES``)."""
    rows_skipped: int = 0
    files_skipped: int = 0
    predictions_dropped: int = 0
    tasks_with_dropped_predictions: int = 0
    tasks_with_dropped_annotations: int = 0
    annotations_dropped: int = 0
    files_imported_before: int = 0

    def add(self, other: Tally) -> None:
        """Add another tally's counts to this one."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def counts(self) -> dict[str, int]:
        """The counts as the job reports them."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


ErrorSink = Callable[[int | None, str | None, str, Scope], None]
"""Hears of each problem of a task file: row, field, message and what it leaves out."""


def prediction_problem(index: int, exc: Invalid) -> tuple[str, str]:
    """The field and message of a prediction that fails validation: its first problem, at
    its path inside the row (``predictions[0].result[2].label``), naming the region."""
    return result_problem(f"predictions[{index}].result", exc)


def result_problem(where: str, exc: Invalid) -> tuple[str, str]:
    """The field and message of a result (``where``: ``annotations[1].result``) that fails
    validation: its first problem, at its path inside the row, naming the region."""
    found = exc.details.get("errors") if isinstance(exc.details, dict) else None
    prefix = where.removesuffix(".result")
    if not found:
        return where, exc.message
    first = found[0]
    message = str(first["message"])
    if first.get("region") is not None:
        message = f"region {quote(first['region'])}: {message}"
    if len(found) > 1:
        message += f" (and {wording.count(len(found) - 1, 'more problem')})"
    return f"{prefix}.{first['path']}", message


class FileReport:
    """The problems of one task file, counted; the first ones kept for the plan's report."""

    def __init__(self) -> None:
        self.kept: list[tuple[int | None, str | None, str, Scope]] = []
        self.count = 0
        self.tally = Tally()
        self.unusable = False
        self._last_dropped: tuple[Scope, int | None] | None = None

    def __call__(self, row_no: int | None, fld: str | None, message: str, scope: Scope) -> None:
        self.count += 1
        self.unusable = self.unusable or scope is Scope.FILE
        if len(self.kept) < job_service.MAX_ERRORS_KEPT or scope is Scope.FILE:
            self.kept.append((row_no, fld, message, scope))
        t = self.tally
        if scope in ERROR_SCOPES:
            t.errors += 1
        if scope is Scope.ROW:
            t.rows_skipped += 1
        elif scope is Scope.PREDICTION:
            t.predictions_dropped += 1
        elif scope is Scope.ANNOTATIONS:
            t.annotations_dropped += 1
        # A row's problems come together: count each row once per scope.
        if scope in (Scope.PREDICTION, Scope.ANNOTATIONS) and self._last_dropped != (
            scope,
            row_no,
        ):
            self._last_dropped = (scope, row_no)
            if scope is Scope.PREDICTION:
                t.tasks_with_dropped_predictions += 1
            else:
                t.tasks_with_dropped_annotations += 1
