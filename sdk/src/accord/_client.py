"""``Client``: the entry point; holds the connection and the sub-APIs."""

from __future__ import annotations

import os
from types import TracebackType

import httpx

from accord._exceptions import AccordError
from accord._http import HTTP
from accord._models import Me
from accord._resources.annotations import Annotations
from accord._resources.exports import Exports
from accord._resources.imports import Imports
from accord._resources.jobs import Jobs
from accord._resources.organizations import Organizations
from accord._resources.projects import Projects
from accord._resources.queue import Queue
from accord._resources.tasks import Tasks
from accord._resources.tokens import Tokens
from accord._resources.versions import Versions
from accord._resources.webhooks import Webhooks

URL_ENV = "ACCORD_URL"
TOKEN_ENV = "ACCORD_TOKEN"


class Client:
    """A connection to one Accord server as one user.

    ``url`` and ``token`` default to the ``ACCORD_URL`` and ``ACCORD_TOKEN`` environment
    variables. ``max_retries`` applies to reads and to calls that are safe to repeat
    (``annotations.submit``, ``queue.save_draft``), on network errors and 502/503/504.
    Use it as a context manager, or call ``close()``.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        max_retries: int = 3,
        retry_backoff: float = 0.5,
    ) -> None:
        url = url if url is not None else os.environ.get(URL_ENV)
        token = token if token is not None else os.environ.get(TOKEN_ENV)
        if not url:
            raise ValueError(f"url: give the server's URL or set {URL_ENV}")
        self._http = HTTP(
            url,
            token or None,
            timeout=timeout,
            transport=transport,
            max_retries=max_retries,
            retry_backoff=retry_backoff,
        )
        self.organizations = Organizations(self._http)
        self.projects = Projects(self._http)
        self.tasks = Tasks(self._http)
        self.jobs = Jobs(self._http)
        self.imports = Imports(self._http, self.jobs)
        self.exports = Exports(self._http, self.jobs)
        self.versions = Versions(self._http, self.jobs, self.exports)
        self.queue = Queue(self._http)
        self.annotations = Annotations(self._http)
        self.tokens = Tokens(self._http)
        self.webhooks = Webhooks(self._http)

    @classmethod
    def login(
        cls,
        url: str | None,
        email: str,
        password: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        max_retries: int = 3,
        retry_backoff: float = 0.5,
    ) -> Client:
        """A client logged in with an email and password instead of an API token.

        It holds a login session, as the web app does (a cookie, and the CSRF token sent with
        every write), until ``logout()`` or ``close()`` ends it. ``url`` None means
        ``ACCORD_URL``. A wrong password raises ``Unauthenticated``; after a few, the server
        makes further attempts wait (``RateLimited``, its ``retry_after`` in seconds).
        """
        client = cls(
            url,
            "",  # no token, and not ACCORD_TOKEN's either: this client is the login's
            timeout=timeout,
            transport=transport,
            max_retries=max_retries,
            retry_backoff=retry_backoff,
        )
        try:
            client._http.login(email, password)
        except BaseException:
            client._http.close()
            raise
        return client

    def logout(self) -> None:
        """End this client's login session (see ``login``); nothing for a token client."""
        self._http.logout()

    @property
    def url(self) -> str:
        """The server's base URL."""
        return self._http.base_url

    def me(self) -> Me:
        """The current user and their organizations."""
        return self._http.get_model(Me, "/auth/me")

    def set_name(self, name: str) -> Me:
        """Change your display name ("" for none); returns you as ``me()`` would."""
        return self._http.send_model(Me, "PATCH", "/auth/me", {"name": name})

    def change_password(self, current: str, new: str, *, revoke_tokens: bool = False) -> None:
        """Change your password. Your other login sessions end; this client keeps working,
        and so do your API tokens unless ``revoke_tokens`` (then every one of them is revoked,
        this client's own included when it uses one). A wrong ``current`` raises
        ``InvalidRequest`` and counts like a failed login (``RateLimited``, with
        ``retry_after``, once the account must wait); a common ``new`` password, or your email,
        is refused with ``InvalidRequest``."""
        self._http.request(
            "POST",
            "/auth/password",
            json={"current_password": current, "new_password": new, "revoke_tokens": revoke_tokens},
        )

    def close(self) -> None:
        """Close the connections, ending the login session of a ``login`` client first."""
        try:
            if self._http.logged_in:
                self._http.logout()
        except AccordError:
            pass  # the server is gone or the session already ended: nothing left to end
        finally:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client(url={self.url!r})"
