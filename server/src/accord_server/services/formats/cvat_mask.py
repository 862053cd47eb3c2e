"""Masks between COCO run lengths (Accord's: down the columns of the whole image, starting with
background) and CVAT's (along the rows of the mask's own box ``left top width height``, also
starting with background). Exact in both directions: the same pixels come back."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from accord_server.services.formats.coco_rle import decode_coco_rle

__all__ = ["CvatMask", "coco_to_cvat", "cvat_to_coco", "runs_of"]

Bits = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class CvatMask:
    """A CVAT ``<mask>``: run lengths over its box, row by row, the first run background."""

    rle: list[int]
    left: int
    top: int
    width: int
    height: int


def _bits(runs: list[int], size: int) -> Bits:
    flat = np.zeros(size, dtype=np.uint8)
    pos, on = 0, False
    for run in runs:
        if on:
            flat[pos : pos + run] = 1
        pos += run
        on = not on
    return flat


def runs_of(flat: Bits) -> list[int]:
    """Run lengths of a flat 0/1 array, the first run of zeros (0 when it starts with a 1)."""
    if flat.size == 0:
        return []
    changes = np.flatnonzero(np.diff(flat)) + 1
    edges = np.concatenate(([0], changes, [flat.size]))
    runs = [int(n) for n in np.diff(edges)]
    return [0, *runs] if flat[0] else runs


def coco_to_cvat(counts: str | list[int], height: int, width: int) -> CvatMask | None:
    """The CVAT mask of a COCO RLE of an image ``height`` x ``width``; None when no pixel is
    set (CVAT has no empty mask) or the counts are malformed or cover another size."""
    runs = decode_coco_rle(counts) if isinstance(counts, str) else list(counts)
    if runs is None or sum(runs) != height * width:
        return None
    # COCO counts down the columns: the flat array is the transposed image, row by row.
    image = _bits(runs, height * width).reshape((width, height)).T
    rows = np.flatnonzero(image.any(axis=1))
    cols = np.flatnonzero(image.any(axis=0))
    if rows.size == 0:
        return None
    top, bottom, left, right = int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])
    box = image[top : bottom + 1, left : right + 1]
    return CvatMask(runs_of(box.ravel()), left, top, right - left + 1, bottom - top + 1)


def cvat_to_coco(mask: CvatMask, height: int, width: int) -> list[int]:
    """COCO run lengths over the whole ``height`` x ``width`` image of a CVAT mask.

    Raises ``ValueError`` when the runs do not cover the mask's box or the box leaves the
    image."""
    if mask.width <= 0 or mask.height <= 0:
        raise ValueError("mask width and height must be positive")
    if mask.left < 0 or mask.top < 0:
        raise ValueError("mask left and top must be 0 or more")
    if mask.left + mask.width > width or mask.top + mask.height > height:
        raise ValueError(
            f"mask box {mask.left},{mask.top} {mask.width}x{mask.height} "
            f"leaves the {width}x{height} image"
        )
    if any(r < 0 for r in mask.rle) or sum(mask.rle) != mask.width * mask.height:
        raise ValueError(
            f"rle covers {sum(mask.rle)} pixels, the mask box {mask.width * mask.height}"
        )
    box = _bits(mask.rle, mask.width * mask.height).reshape((mask.height, mask.width))
    image = np.zeros((height, width), dtype=np.uint8)
    image[mask.top : mask.top + mask.height, mask.left : mask.left + mask.width] = box
    return runs_of(image.T.ravel())
