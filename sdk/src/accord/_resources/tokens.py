"""``client.tokens``: your personal API tokens."""

from __future__ import annotations

import builtins

from accord._http import HTTP
from accord._models import ApiToken, ApiTokenCreated


class Tokens:
    """Create, list and revoke your API tokens."""

    def __init__(self, http: HTTP) -> None:
        self._http = http

    def create(self, name: str) -> ApiTokenCreated:
        """A new token; its secret (``.token``) is shown only this once."""
        return self._http.send_model(ApiTokenCreated, "POST", "/auth/tokens", {"name": name})

    def list(self) -> builtins.list[ApiToken]:
        """Your tokens, without their secrets."""
        return self._http.get_models(ApiToken, "/auth/tokens")

    def revoke(self, token_id: int) -> ApiToken:
        """Revoke one of your tokens."""
        return self._http.send_model(ApiToken, "DELETE", f"/auth/tokens/{token_id}")
