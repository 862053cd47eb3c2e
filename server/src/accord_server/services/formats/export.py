"""What an export format's writer is given and what it must do: the contract between the export
service (``services/exports/``: which tasks, which result, label mapping, split, packing the
files into one download) and one module per format here (``coco``, ``yolo``, ...).

A writer is made once per export with the export's schema and a ``Context`` (the folder it
writes into, the report, the options), is handed the tasks one at a time in task id order
(``write``), then ``finish`` writes whatever comes last (COCO's single JSON, YOLO's
``data.yaml``). It must keep memory independent of the number of tasks: write each task's part
as it comes, and stage what must come together later in files under ``ctx.staging`` (e.g. COCO's
annotations array), never in lists that grow with the project. Its output must be byte-identical
for the same input (no timestamps, no set or dict order that varies, fixed float formatting):
dataset versions are exported again years later and compared by hash.

What a format cannot hold (a polygon in YOLO detection, an overlapping span in CoNLL, a region
type the format has no shape for) is dropped with ``ctx.report.drop(reason, ...)`` — counted
and named in the job's report, never silently."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from accord_server.schemas.label_schema import LabelSchema

Json = dict[str, Any]

MAX_EXAMPLES = 20
"""Task ids kept per drop reason in the report (all are counted)."""


@dataclass(frozen=True)
class ExportResult:
    """One result of a task, in Accord's canonical shape (``regions``: the annotation's
    ``result`` list, label mapping already applied)."""

    regions: list[Json]
    source: str
    """``annotation`` (an annotator's), ``prediction`` (a model's), later ``consensus``."""
    annotation_id: int | None = None
    annotator: str | None = None
    """Who made it: the member's email, an imported annotator's name; a model version."""
    origin: str | None = None
    """``human``, ``model``, ``model-edited`` (annotations); None for predictions."""
    score: float | None = None
    created_at: str | None = None
    """ISO 8601, UTC."""
    updated_at: str | None = None


@dataclass(frozen=True)
class ExportItem:
    """One task, as a writer gets it."""

    task_id: int
    data: Json
    """The task's data as imported (``image``/``text``/... and any other fields)."""
    media_name: str | None
    """A file name for the task's media, unique in this export and safe as a path component
    (``000123_cat.jpg``); None for a task without media (a text task)."""
    width: int | None = None
    height: int | None = None
    """The image's size in pixels, when known (images imported by URL may lack it until the
    workspace has loaded them: a format that needs it drops the task's regions and says so)."""
    results: tuple[ExportResult, ...] = ()
    """The chosen results (one, or every annotator's when the export asks for all)."""
    predictions: tuple[ExportResult, ...] = ()
    """The task's predictions, for formats that carry them (Label Studio, Accord JSON)."""
    split: str | None = None
    """``train``, ``val`` or ``test`` when the export is split; None otherwise."""
    is_gold: bool = False
    meta: Json = field(default_factory=dict)

    @property
    def text(self) -> str | None:
        """A text task's text."""
        value = self.data.get("text")
        return value if isinstance(value, str) else None

    @property
    def stem(self) -> str:
        """``media_name`` without its extension, or the task id: a name for per-task files."""
        if self.media_name:
            return self.media_name.rsplit(".", 1)[0]
        return f"{self.task_id:09d}"


@dataclass
class Report:
    """What an export left out, by reason: counted in full, the first task ids kept."""

    dropped: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[int]] = field(default_factory=dict)

    def drop(self, reason: str, count: int = 1, *, task_id: int | None = None) -> None:
        """Record that ``count`` things were left out for ``reason`` (a sentence a user reads:
        "polygon regions: YOLO detection holds boxes only")."""
        self.dropped[reason] = self.dropped.get(reason, 0) + count
        if task_id is not None:
            kept = self.examples.setdefault(reason, [])
            if len(kept) < MAX_EXAMPLES and task_id not in kept:
                kept.append(task_id)

    def as_dict(self) -> Json:
        """The report as the job shows it."""
        return {
            "dropped": [
                {"reason": reason, "count": n, "task_ids": self.examples.get(reason, [])}
                for reason, n in sorted(self.dropped.items())
            ]
        }


PlaceMedia = Callable[[ExportItem, str], None]
"""Put an item's media file at a path relative to the export's folder (``images/x.jpg``); does
nothing when the export is made without media. Writers call it for every item with media, at
the path the format expects."""


@dataclass
class Context:
    """Where and how a writer writes."""

    out: Path
    """The export's folder: everything written under it is the export (packed by the
    service into one download)."""
    staging: Path
    """A scratch folder for parts put together in ``finish``; not part of the export."""
    report: Report
    options: Mapping[str, Any] = field(default_factory=dict)
    """Format options (e.g. YOLO's ``task``: detect | segment | pose)."""
    place_media: PlaceMedia = lambda item, path: None
    include_media: bool = False


class Writer(Protocol):
    """One export in one format."""

    def write(self, item: ExportItem) -> None:
        """Write one task's part (items come in task id order)."""

    def finish(self) -> None:
        """Write what comes last; the export is complete when this returns."""


WriterFactory = Callable[[LabelSchema, Context], Writer]


@dataclass(frozen=True)
class Format:
    """An export format as the API lists it."""

    name: str
    """The ``format`` value of ``POST /projects/{id}/exports`` (``coco``, ``yolo``, ...)."""
    title: str
    media: frozenset[str]
    """The project media it applies to (``image``, ``text``, ...)."""
    make: WriterFactory
    description: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Its own options and their defaults."""
