"""What an export is asked for, checked once when it is created (``check_request``) and read
back by the job (``ExportPlan.from_params``): the format and its options, which results, the
split, the label mapping, the task filter.

Which results (``result``):

- ``latest`` (default): each task's latest live annotation (by last update, then id);
- ``all``: every live annotation of each task (every annotator's), in id order;
- ``ground_truth``: gold tasks only, each with its latest live annotation;
- ``consensus`` and ``reviewed`` are refused for now: the quality engine that computes consensus
  results and records reviews has not landed, and answering them with the latest annotation
  would pass off one annotator's work as agreed. The names stay valid for when it lands.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from accord_server.schemas.enums import ExportResultChoice
from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.errors import Invalid
from accord_server.services.formats.export import Format, Json, Report
from accord_server.services.formats.registry import EXPORT_FORMATS
from accord_server.services.task_table import TaskFilters

SPLITS = ("train", "val", "test")
NOT_YET = {
    ExportResultChoice.CONSENSUS: "consensus results come with the quality engine, which has "
    "not landed yet",
    ExportResultChoice.REVIEWED: "reviews come with the quality engine, which has not landed yet",
}
SUM_TOLERANCE = 1e-6


def get_format_or_raise(name: str, media: str) -> Format:
    """The export format ``name``, if it holds ``media`` (a project's medium)."""
    found = EXPORT_FORMATS.get(name)
    if found is None:
        known = ", ".join(sorted(EXPORT_FORMATS)) or "none"
        raise Invalid(
            f"format: {name!r} is not an export format; expected one of: {known}",
            details={"field": "format"},
        )
    if media not in found.media:
        raise Invalid(
            f"format: {found.title} does not hold {media} projects "
            f"(it holds: {', '.join(sorted(found.media))})",
            details={"field": "format"},
        )
    return found


def check_result(result: str) -> ExportResultChoice:
    """The ``result`` choice, refused for the two that need the quality engine."""
    try:
        choice = ExportResultChoice(result)
    except ValueError:
        raise Invalid(
            f"result: {result!r} is not a result choice; expected one of: "
            + ", ".join(ExportResultChoice),
            details={"field": "result"},
        ) from None
    if choice in NOT_YET:
        raise Invalid(
            f"result: {choice!r} is not available yet: {NOT_YET[choice]}; "
            "use 'latest', 'all' or 'ground_truth'",
            details={"field": "result"},
        )
    return choice


def check_format_options(fmt: Format, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The format's options: its defaults, overridden by ``given`` (unknown names and values
    of another type than the default's are refused)."""
    options = dict(fmt.options)
    for name, value in (given or {}).items():
        if name not in fmt.options:
            known = ", ".join(sorted(fmt.options)) or "none"
            raise Invalid(
                f"options.{name}: {fmt.title} has no option {name!r} (its options: {known})",
                details={"field": f"options.{name}"},
            )
        default = fmt.options[name]
        widened = isinstance(default, float) and type(value) is int  # 1 for 1.0
        if default is not None and type(value) is not type(default) and not widened:
            raise Invalid(
                f"options.{name}: expected {type(default).__name__}, not {value!r}",
                details={"field": f"options.{name}"},
            )
        options[name] = value
    return options


def check_split(split: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Fractions of train, val and test that add up to 1, and a seed."""
    if split is None:
        return None
    fractions = [float(split[name]) for name in SPLITS]
    if any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > SUM_TOLERANCE:
        raise Invalid(
            f"split: train, val and test must be fractions that add up to 1, not "
            f"{' + '.join(f'{f:g}' for f in fractions)}",
            details={"field": "split"},
        )
    return {**{name: f for name, f in zip(SPLITS, fractions, strict=True)}, "seed": split["seed"]}


def split_of(split: Mapping[str, Any], task_id: int) -> str:
    """A task's part of the split: a hash of the seed and the task id, read as a number in
    [0, 1), falls into train, val or test by the fractions. The same seed puts a task in the
    same part in every export, whatever else is exported with it."""
    digest = hashlib.sha256(f"{split['seed']}:{task_id}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    if u < split["train"]:
        return "train"
    if u < split["train"] + split["val"]:
        return "val"
    return "test" if split["test"] > 0 else ("val" if split["val"] > 0 else "train")


def _schema_names(schema: LabelSchema) -> set[str]:
    names: set[str] = set()
    for tool in schema.tools:
        for label in getattr(tool, "labels", None) or []:
            names.add(label.name)
        names.update(getattr(tool, "choices", None) or [])
    return names


def _renamed(names: list[Any], label_map: Mapping[str, str | None], key: str | None) -> list[Any]:
    """``names`` (strings, or label specs keyed by ``key``) renamed or dropped by the map, each
    new name once (two labels mapped onto one become one)."""
    out: list[Any] = []
    seen: set[str] = set()
    for entry in names:
        old = entry[key] if key else entry
        new = label_map.get(old, old)
        if new is None or new in seen:
            continue
        seen.add(new)
        out.append({**entry, key: new} if key else new)
    return out


def map_schema(schema: LabelSchema, label_map: Mapping[str, str | None] | None) -> LabelSchema:
    """The schema a writer is given: labels and choices renamed or dropped by ``label_map``
    (Invalid for a name the schema does not have, or a tool left with none)."""
    if not label_map:
        return schema
    unknown = sorted(set(label_map) - _schema_names(schema))
    if unknown:
        raise Invalid(
            f"label_map: {', '.join(map(repr, unknown))} "
            f"{'is not a label or a choice' if len(unknown) == 1 else 'are not labels or choices'}"
            " of the project's schema",
            details={"field": "label_map", "unknown": unknown},
        )
    raw = schema.model_dump(mode="json", exclude_none=True)
    for tool in raw["tools"]:
        if "labels" in tool:
            tool["labels"] = _renamed(tool["labels"], label_map, "name")
        if "choices" in tool:
            tool["choices"] = _renamed(tool["choices"], label_map, None)
        if ("labels" in tool and not tool["labels"]) or ("choices" in tool and not tool["choices"]):
            raise Invalid(
                f"label_map: it drops every label of tool {tool['name']!r}",
                details={"field": "label_map", "tool": tool["name"]},
            )
    try:
        return LabelSchema.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise Invalid(
            f"label_map: the schema it makes is not valid: {first['msg']}",
            details={"field": "label_map"},
        ) from None


DROPPED_BY_MAP = "regions whose label the label_map drops (mapped to null)"
DANGLING = "relations to a region the label_map drops"


def map_regions(
    regions: list[Json],
    label_map: Mapping[str, str | None] | None,
    report: Report,
    task_id: int,
) -> list[Json]:
    """A result's regions with labels and choices renamed; regions whose label is dropped go
    (counted in the report), and so do relations that pointed at them."""
    if not label_map:
        return regions
    out: list[Json] = []
    gone: set[Any] = set()
    for region in regions:
        label = region.get("label")
        value = region.get("value")
        if isinstance(label, str) and label in label_map:
            new = label_map[label]
            if new is None:
                gone.add(region.get("id"))
                report.drop(DROPPED_BY_MAP, task_id=task_id)
                continue
            region = {**region, "label": new}
        if isinstance(value, dict) and isinstance(value.get("choices"), list):
            choices = _renamed(value["choices"], label_map, None)
            if not choices:
                gone.add(region.get("id"))
                report.drop(DROPPED_BY_MAP, task_id=task_id)
                continue
            region = {**region, "value": {**value, "choices": choices}}
        out.append(region)
    if not gone:
        return out
    kept: list[Json] = []
    for region in out:
        ends = region.get("geometry") if region.get("type") == "relation" else None
        if isinstance(ends, dict) and (ends.get("from") in gone or ends.get("to") in gone):
            report.drop(DANGLING, task_id=task_id)
            continue
        kept.append(region)
    return kept


def task_filters(raw: Mapping[str, Any] | None) -> TaskFilters:
    """The data manager's filter from an export's stored ``filter`` (JSON: times as ISO
    strings)."""
    values = dict(raw or {})
    for name in ("created_after", "created_before"):
        if isinstance(values.get(name), str):
            values[name] = datetime.fromisoformat(values[name])
    return TaskFilters(**values)


@dataclass(frozen=True)
class ExportPlan:
    """An export's request as the job reads it from the row's ``options``."""

    result: ExportResultChoice = ExportResultChoice.LATEST
    include_media: bool = False
    split: dict[str, Any] | None = None
    label_map: dict[str, str | None] | None = None
    format_options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> ExportPlan:
        return cls(
            result=ExportResultChoice(options.get("result", ExportResultChoice.LATEST)),
            include_media=bool(options.get("include_media")),
            split=options.get("split"),
            label_map=options.get("label_map"),
            format_options=dict(options.get("format_options") or {}),
        )
