"""What a format's reader gives the import of existing labels: the contract between one reader
per format here (``coco.read_labels``, ``yolo.read_labels``, ...) and the import pipeline
(``services/imports/``), which matches the tasks to media, names the tools from the project's
schema, credits the annotators and writes everything.

A reader turns a format's files (a folder: an unpacked archive) into ``LabelTask``s, one per
image or document, streaming (an iterator, not a list: a COCO file of a million boxes must not
be held twice). Regions come in Accord's canonical shape (absolute pixels, ``[start, end)`` code
points), with ``type`` and ``label`` but without ``tool``: the import picks the project's tool of
that type that has that label (or builds the schema of a new project from ``LabelSet``). What a
reader cannot convert it reports with ``problem(where, message)`` (``where``: the file, and the
item in it: ``instances.json: annotations[17]``) and leaves out; the import lists those per
item, never silently."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]

Problem = Callable[[str, str], None]
"""Hears of something a reader could not convert: where (file and item) and why."""


@dataclass
class LabelResult:
    """One person's (or one model's) labels of a task."""

    regions: list[Json]
    annotator: str | None = None
    """Who made them, as the source names them: an email (credited to the member with that
    email), else a name or id of the other tool's user; None when the format does not say."""
    score: float | None = None
    model_version: str | None = None
    ground_truth: bool = False


@dataclass
class LabelTask:
    """One image or document of the source, with its labels."""

    media_name: str | None
    """The file name the source gives the media (COCO ``file_name``, VOC ``filename``, the
    YOLO image's name): the import matches it to a file uploaded with the labels or already
    in the project."""
    data: Json = field(default_factory=dict)
    """The task's data when the format carries it (Label Studio, Accord JSON)."""
    width: int | None = None
    height: int | None = None
    annotations: list[LabelResult] = field(default_factory=list)
    predictions: list[LabelResult] = field(default_factory=list)


@dataclass
class LabelSet:
    """What a reader found: the labels by region type (to build a new project's schema, or
    check an existing one), and the tasks (read as they are iterated)."""

    media: str
    """``image`` or ``text``."""
    labels: dict[str, list[str]]
    """Region type (``bbox``, ``polygon``, ``keypoints``, ``mask``, ``span``,
    ``classification``...) -> its labels, in the source's order."""
    tasks: Iterator[LabelTask]
    keypoints: dict[str, list[str]] = field(default_factory=dict)
    """A keypoints label -> its keypoint names, in order (COCO categories' ``keypoints``)."""
    skeletons: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
