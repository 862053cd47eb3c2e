"""COCO run-length encoding of masks: the ``counts`` of an ``rle`` are a list of run lengths or
pycocotools' compressed string, which these two functions read and write."""

from __future__ import annotations

__all__ = ["decode_coco_rle", "encode_coco_rle"]


def decode_coco_rle(counts: str) -> list[int] | None:
    """Run lengths of a COCO compressed RLE string; ``None`` if it is malformed."""
    # Each count is a signed base-32 varint in chars '0'..'o' (0x20 = more, 0x10 = sign on the
    # last char); from the fourth count on it is a delta to the count two places back.
    runs: list[int] = []
    value, shift = 0, 0
    for char in counts:
        c = ord(char) - 48
        if not 0 <= c < 64:
            return None
        value |= (c & 0x1F) << shift
        shift += 5
        if c & 0x20:
            continue
        if c & 0x10:
            value -= 1 << shift
        if len(runs) > 2:
            value += runs[-2]
        if value < 0:
            return None
        runs.append(value)
        value, shift = 0, 0
    return runs if shift == 0 else None


def encode_coco_rle(counts: list[int]) -> str:
    """The COCO compressed RLE string of run lengths (pycocotools' ``rleToString``)."""
    out = []
    for i, count in enumerate(counts):
        x = count - counts[i - 2] if i > 2 else count
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = x != -1 if c & 0x10 else x != 0
            out.append(chr((c | 0x20 if more else c) + 48))
    return "".join(out)
