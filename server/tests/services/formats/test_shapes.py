"""Shared image geometry: run-length mask extents and areas as pycocotools computes them, a
rotated box back from its corners, polygon areas, keypoint boxes."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from accord_server.services.formats import shapes
from accord_server.services.formats.coco_rle import decode_coco_rle


@pytest.mark.parametrize("seed", range(6))
def test_rle_box_and_area_match_pycocotools(seed: int) -> None:
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(1, 40)), int(rng.integers(1, 40))
    m = (rng.random((h, w)) < rng.choice([0.02, 0.3, 0.9])).astype(np.uint8)
    encoded = mask_utils.encode(np.asfortranarray(m))
    runs = decode_coco_rle(encoded["counts"].decode())
    assert runs is not None
    box, area = shapes.rle_box_area(runs, h)
    assert area == int(mask_utils.area(encoded)) == int(m.sum())
    if area:
        assert list(box) == mask_utils.toBbox(encoded).tolist()
    else:
        assert box == (0.0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize("rotation", [0.0, 30.0, -75.5, 90.0, 200.0])
def test_a_rotated_box_comes_back_from_its_corners(rotation: float) -> None:
    corners = shapes.box_corners(12.5, 40.0, 80.0, 30.0, rotation)
    assert shapes.polygon_area(corners) == pytest.approx(80 * 30)
    assert shapes.box_from_corners(corners, rotation) == pytest.approx((12.5, 40.0, 80.0, 30.0))


def test_keypoints_box_is_the_labeled_extent_at_least_a_pixel_inside_the_image() -> None:
    assert shapes.keypoints_box([[0, 0, 0], [5, 5, 2]], 10, 10) == (4.5, 4.5, 1.0, 1.0)
    assert shapes.keypoints_box([[0, 0, 2], [3, 8, 1]], 10, 10) == (0.0, 0.0, 3.0, 8.0)
    assert shapes.keypoints_box([[9.9, 9.9, 2]], 10, 10) == (9.0, 9.0, 1.0, 1.0)
    assert shapes.keypoints_box([[1, 1, 0]], 10, 10) is None
