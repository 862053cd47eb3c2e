"""httpx transports for tests: record requests, lose answers, fake a proxy's 5xx."""

from __future__ import annotations

import httpx


class Recorder(httpx.BaseTransport):
    """Forwards to the real server and records every request."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.inner.handle_request(request)

    def paths(self, method: str | None = None) -> list[str]:
        return [r.url.path for r in self.requests if method in (None, r.method)]

    def close(self) -> None:
        self.inner.close()


class LoseAnswers(Recorder):
    """The first ``times`` matching requests reach the server, but their answer is lost."""

    def __init__(self, path_suffix: str, times: int = 1) -> None:
        super().__init__()
        self.path_suffix = path_suffix
        self.left = times

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if self.left and request.url.path.endswith(self.path_suffix):
            self.left -= 1
            response.read()
            raise httpx.ReadError("connection reset by peer (simulated)", request=request)
        return response


class ProxyErrors(Recorder):
    """The first ``times`` matching requests get a proxy's HTML 5xx and never reach the app."""

    def __init__(self, path_suffix: str, status: int = 503, times: int = 1) -> None:
        super().__init__()
        self.path_suffix = path_suffix
        self.status = status
        self.left = times

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.left and request.url.path.endswith(self.path_suffix):
            self.left -= 1
            self.requests.append(request)
            return httpx.Response(
                self.status, text="<html>Bad gateway</html>", headers={"Content-Type": "text/html"}
            )
        return super().handle_request(request)
