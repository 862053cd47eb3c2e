"""One place that talks HTTP: auth header, error mapping, retries of safe calls, pagination."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from accord._exceptions import TransportError, error_from_response
from accord._version import __version__

M = TypeVar("M", bound=BaseModel)

API_PREFIX = "/api/v1"
# Answers a proxy or a restarting server gives for a moment; worth the same request again.
RETRY_STATUSES = frozenset({502, 503, 504})
# A login session's writes carry this header (the server's CSRF check for cookie auth).
CSRF_HEADER = "X-CSRF-Token"


def normalize_url(url: str) -> str:
    """The server's base URL without a trailing slash or ``/api/v1``."""
    url = url.strip().rstrip("/")
    if url.endswith(API_PREFIX):
        url = url[: -len(API_PREFIX)]
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"url: expected http:// or https://, got {url!r}")
    return url


class HTTP:
    """An httpx client bound to one server and token, mapping errors to the exception tree."""

    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        timeout: float,
        transport: httpx.BaseTransport | None,
        max_retries: int,
        retry_backoff: float,
    ) -> None:
        headers = {"User-Agent": f"accord-python/{__version__}", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.base_url = normalize_url(url)
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.client = httpx.Client(
            base_url=self.base_url + API_PREFIX,
            headers=headers,
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()

    @property
    def logged_in(self) -> bool:
        """True while a password login's session (cookie and CSRF token) is held."""
        return CSRF_HEADER in self.client.headers

    def login(self, email: str, password: str) -> None:
        """Log in with a password: keeps the session cookie, sends the CSRF token on writes.

        Never retried: a wrong password counts against the server's login rate limit.
        """
        answer = self.request("POST", "/auth/login", json={"email": email, "password": password})
        self.client.headers[CSRF_HEADER] = answer.json()["csrf_token"]

    def logout(self) -> None:
        """End the login session on the server and forget its cookie."""
        if not self.logged_in:
            return
        try:
            self.request("POST", "/auth/logout")
        finally:
            del self.client.headers[CSRF_HEADER]
            self.client.cookies.clear()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        files: Any = None,
        data: Mapping[str, Any] | None = None,
        retry: bool | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """Send one request; error answers raise, ``retry`` repeats transient failures.

        ``retry`` defaults to True for GET only: other calls are repeated only when the caller
        knows they are idempotent (a submit carries its own id).
        """
        if retry is None:
            retry = method == "GET"
        attempts = 1 + (self.max_retries if retry else 0)
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = timeout
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self.client.request(
                    method, path, json=json, params=clean, files=files, data=data, **extra
                )
            except httpx.TransportError as exc:
                if last:
                    raise TransportError(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
            else:
                if response.status_code not in RETRY_STATUSES or last:
                    return self._check(response)
            time.sleep(self.retry_backoff * 2**attempt)
        raise AssertionError("unreachable")

    @staticmethod
    def _check(response: httpx.Response) -> httpx.Response:
        if response.status_code < 400:
            return response
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        retry_after: float | None = None
        header = response.headers.get("Retry-After")
        if header is not None:
            try:
                retry_after = float(header)
            except ValueError:
                retry_after = None
        raise error_from_response(
            response.status_code,
            body,
            retry_after=retry_after,
            text=response.text if body is None else "",
        )

    def get_model(self, model: type[M], path: str, **params: Any) -> M:
        """GET one object."""
        return model.model_validate(self.request("GET", path, params=params).json())

    def get_models(self, model: type[M], path: str, **params: Any) -> list[M]:
        """GET a JSON array of objects."""
        return [model.model_validate(x) for x in self.request("GET", path, params=params).json()]

    def send_model(self, model: type[M], method: str, path: str, body: Any = None) -> M:
        """POST/PATCH/PUT/DELETE a JSON body; the answer is one object."""
        return model.model_validate(self.request(method, path, json=body).json())

    def paginate(self, model: type[M], path: str, *, page_size: int, **params: Any) -> Iterator[M]:
        """Every item of a cursor-paginated list, fetching pages as the iteration needs them."""
        cursor: int | None = None
        while True:
            page = self.request(
                "GET", path, params={**params, "cursor": cursor, "limit": page_size}
            ).json()
            for item in page["items"]:
                yield model.model_validate(item)
            cursor = page.get("next_cursor")
            if cursor is None or not page["items"]:
                return
