"""Sizes of images given by URL, read at import when ``import_probe_urls`` is on.

Phase 1 hands every row of an image project to ``UrlSizes.add``: a row whose ``image`` is an
http(s) URL and whose size is unknown is queued, and each batch of queued URLs is read 8 at a
time (``adapters/url_probe.py``: the first bytes of each, with a timeout), between cancel
checks. The sizes found are kept by URL (at most ``import_probe_max`` URLs are tried), set on
the rows phase 1 keeps, and set again on the same rows when phase 2 reads their file again
(``reading.task_rows``), so both phases write the same rows. A URL that cannot be read leaves
its task without a size: the workspace records it when it first loads the image
(``services/media_sizes.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from accord_server.adapters.url_probe import is_http_url

Probe = Callable[[str], "tuple[int, int] | None"]
PARALLEL = 8
"""URLs read at the same time."""
BATCH = 64
"""Rows queued before their URLs are read (and the job may be cancelled in between)."""


def set_url_size(row: dict[str, Any], sizes: Mapping[str, tuple[int, int]]) -> bool:
    """Give a row of an image project the size read from its URL, if one was; whether it did."""
    url = row["data"].get("image")
    size = sizes.get(url) if isinstance(url, str) else None  # data may hold anything there
    if size is None or "width" in row["meta"]:
        return False
    row["meta"].update(width=size[0], height=size[1], size_source="url")
    return True


class UrlSizes:
    """The sizes read from image URLs during one import (see the module docstring)."""

    def __init__(self, probe: Probe | None = None, limit: int = 0) -> None:
        self.found: dict[str, tuple[int, int]] = {}
        self.tried = 0
        self._probe = probe
        self._limit = limit
        self._tried_urls: set[str] = set()
        self._queued: set[str] = set()
        self._pending: list[tuple[dict[str, Any], str]] = []
        self._pool: ThreadPoolExecutor | None = None

    @property
    def enabled(self) -> bool:
        """Whether this import reads sizes from URLs."""
        return self._probe is not None

    def add(self, row: dict[str, Any], checkpoint: Callable[[], None]) -> None:
        """Queue a row whose size its URL may tell; read the queue when it is full."""
        url = row["data"].get("image")
        if self._probe is None or "width" in row["meta"] or not is_http_url(url):
            return
        if url in self.found:
            set_url_size(row, self.found)
            return
        if url in self._queued:
            self._pending.append((row, url))
            return
        if url in self._tried_urls or self.tried >= self._limit:
            return  # read before without a size, or past the limit
        self.tried += 1
        self._tried_urls.add(url)
        self._queued.add(url)
        self._pending.append((row, url))
        if len(self._pending) >= BATCH:
            self.flush(checkpoint)

    def flush(self, checkpoint: Callable[[], None]) -> None:
        """Read the queued URLs and size their rows."""
        if not self._pending or self._probe is None:
            return
        urls = list(self._queued)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(PARALLEL, thread_name_prefix="import-probe")
        for url, size in zip(urls, self._pool.map(self._probe, urls), strict=True):
            if size is not None:
                self.found[url] = size
        for row, _ in self._pending:
            set_url_size(row, self.found)
        self._pending.clear()
        self._queued.clear()
        checkpoint()

    def close(self) -> None:
        """Let the reading threads go."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def counts(self) -> dict[str, int]:
        """For the job's counts: image URLs tried and sizes read (nothing when off)."""
        if not self.enabled:
            return {}
        return {"image_urls_probed": self.tried, "image_sizes_read": len(self.found)}
