"""The server's size limits, read by clients before they send (GET /api/v1/limits)."""

from __future__ import annotations

from accord_server.api.deps import CurrentUser, RuntimeDep, api_router
from accord_server.schemas.common import LimitsRead

router = api_router(prefix="/api/v1/limits", tags=["meta"])


@router.get("", response_model=LimitsRead)
def get_limits(runtime: RuntimeDep, user: CurrentUser) -> LimitsRead:
    """Upload and JSON body limits, in bytes (the web app checks file sizes against them), and
    the most regions an annotation may hold."""
    settings = runtime.settings
    return LimitsRead(
        max_upload_bytes=settings.max_upload_bytes,
        max_json_bytes=settings.max_json_bytes,
        max_regions=settings.max_regions,
    )
