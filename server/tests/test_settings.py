"""Settings that cannot work together are refused when read, naming both."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from accord_server.settings import Settings


def test_a_worker_lapse_within_the_heartbeat_is_refused() -> None:
    # A live worker would be taken for dead between two of its beats, and its jobs run twice.
    with pytest.raises(ValidationError) as refused:
        Settings(worker_heartbeat_seconds=5, worker_lapse_seconds=5)
    assert "worker_lapse_seconds (5.0) must be longer than worker_heartbeat_seconds (5.0)" in str(
        refused.value
    )
    assert Settings(worker_heartbeat_seconds=5, worker_lapse_seconds=5.5).worker_lapse_seconds
