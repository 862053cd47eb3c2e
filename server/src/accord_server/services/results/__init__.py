"""Annotation results by kind: ``regions`` validates a whole result and the envelope every region
shares; ``image``, ``video``, ``text`` and ``values`` check their kind's part. Metrics on a
kind (IoU and OKS on shapes, span F1 on text) belong in that kind's module."""

from accord_server.services.results.common import MAX_ERRORS, MediaInfo
from accord_server.services.results.regions import validate_result

__all__ = ["MAX_ERRORS", "MediaInfo", "validate_result"]
