"""Where a shape sits: on one image, on one video frame, or as a video track (keyframes with
geometry and an ``outside`` flag). Track interpolation belongs beside this."""

from __future__ import annotations

from accord_server.schemas.label_schema import LabeledTool
from accord_server.services.results.common import Check, Json, as_int, unknown
from accord_server.services.results.image import geometry


def placement(check: Check, path: str, region: Json, tool: LabeledTool, out: Json) -> None:
    """Geometry of a shape: on one image, on one video frame, or as a video track."""
    video = check.media.kind == "video"
    for key in ("frame", "track"):
        if key in region and not video:
            check.fail(f"{path}.{key}", f"{key} is only allowed on video")
    if "track" in region and video:
        for key in ("geometry", "frame"):
            if key in region:
                check.fail(f"{path}.{key}", "a track region keeps its geometry in its keyframes")
        out["track"] = _track(check, f"{path}.track", region["track"], tool)
        return
    if video:
        if "frame" not in region:
            check.fail(path, 'a shape on video needs "frame" or "track"')
        else:
            out["frame"] = _frame(check, f"{path}.frame", region["frame"])
    out["geometry"] = geometry(check, f"{path}.geometry", region.get("geometry"), tool)


def _track(check: Check, path: str, track: object, tool: LabeledTool) -> list[Json]:
    if not isinstance(track, list) or not track:
        check.fail(path, "must be a non-empty list of keyframes")
        return []
    keyframes: list[Json] = []
    last: int | None = None
    for i, key in enumerate(track):
        here = f"{path}[{i}]"
        if not isinstance(key, dict):
            check.fail(here, "must be an object with frame, geometry and outside")
            continue
        for extra in unknown(key, {"frame", "geometry", "outside"}):
            check.fail(f"{here}.{extra}", "unknown field")
        frame = _frame(check, f"{here}.frame", key.get("frame"))
        if frame is not None and last is not None and frame <= last:
            check.fail(
                f"{here}.frame", f"frames must be strictly increasing ({frame} after {last})"
            )
        last = frame if frame is not None else last
        outside = key.get("outside", False)
        if not isinstance(outside, bool):
            check.fail(f"{here}.outside", "must be true or false")
        shape = geometry(check, f"{here}.geometry", key.get("geometry"), tool)
        keyframes.append({"frame": frame, "geometry": shape, "outside": outside is True})
    return keyframes


def _frame(check: Check, path: str, value: object) -> int | None:
    frame = as_int(value)
    count = check.media.frame_count
    if frame is None or frame < 0:
        check.fail(path, "must be an integer >= 0")
        return None
    if count is not None and frame >= count:
        check.fail(path, f"frame {frame} is past the end of the video ({count} frames)")
    return frame
