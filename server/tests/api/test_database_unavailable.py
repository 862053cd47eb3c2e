"""A database that cannot serve is answered 503 with Retry-After, never 500 "internal" (issue
13, finding 8): one that is not there when the server starts (PostgreSQL on a closed port, a
SQLite file that cannot be opened) and one that goes away under a running server and comes back
(the connections to PostgreSQL cut, through a TCP relay the test controls)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from accord_server.settings import Settings
from scenarios import box
from support import Factory, free_port, running_stack

UNAVAILABLE = {
    "code": "unavailable",
    "message": "the database is not available right now; try again in 5 s",
    "details": {"dependency": "database", "retry_after_seconds": 5},
}


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.json() == UNAVAILABLE


def _requests(client: httpx.Client) -> list[httpx.Response]:
    """Reads, writes, the login and the annotators' hot path (its own threads on PostgreSQL)."""
    return [
        client.get("/api/v1/projects"),
        client.post("/api/v1/projects", json={"name": "p", "label_schema": {"media": "image"}}),
        client.post("/api/v1/auth/login", json={"email": "a@example.com", "password": "x"}),
        client.post("/api/v1/projects/1/next"),
        client.post("/api/v1/tasks/1/annotations", json={"id": "a", "result": []}),
        client.get("/api/v1/tasks/1"),
    ]


def _outage(tmp_path: Path, database_url: str) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    with running_stack(settings) as stack, stack.client("acc_some-token") as client:
        for response in _requests(client):
            assert_unavailable(response)
        assert client.get("/api/v1/health").status_code == 200  # the process is alive
        assert client.get("/api/v1/health/ready").status_code == 503


def test_postgresql_that_does_not_answer(tmp_path: Path) -> None:
    _outage(tmp_path, f"postgresql+psycopg://accord@127.0.0.1:{free_port()}/accord")


def test_a_sqlite_file_that_cannot_be_opened(tmp_path: Path) -> None:
    # Its folder is gone (a volume not mounted): "unable to open database file".
    _outage(tmp_path, f"sqlite:///{tmp_path / 'gone' / 'accord.db'}")


class Relay:
    """A TCP relay to the database: ``cut()`` drops every connection and refuses new ones (the
    server went away, the network failed), ``restore()`` lets them through again."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.cut_off = False
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if self.cut_off:
                client.close()
                continue
            server = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        self.cut_off = True
        with self.lock:
            cut, self.sockets = self.sockets, []
        for s in cut:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def restore(self) -> None:
        self.cut_off = False

    def close(self) -> None:
        self.cut()
        self.listener.close()


@contextmanager
def relay_to(database_url: str) -> Iterator[tuple[Relay, str]]:
    url = make_url(database_url)
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    try:
        relayed = url.set(host="127.0.0.1", port=relay.port)
        yield relay, relayed.render_as_string(hide_password=False)
    finally:
        relay.close()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_postgresql_going_away_and_coming_back(tmp_path: Path, database_url: str) -> None:
    with relay_to(database_url) as (relay, relayed):
        (tmp_path / "imports").mkdir()
        settings = Settings(
            data_dir=tmp_path / "data",
            database_url=relayed,
            import_roots=[tmp_path / "imports"],
            embedded_worker=False,
        )
        with running_stack(settings) as stack:
            factory = Factory(stack)
            owner = factory.owner()
            project = factory.project(owner)
            factory.import_tasks(owner, project["id"], [{"image": f"{i}.png"} for i in range(5)])
            with stack.client(owner.token) as client:
                url = f"/api/v1/projects/{project['id']}/next"
                task = client.post(url).json()["task"]["id"]  # the hot lane has a connection
                assert client.get("/api/v1/projects").status_code == 200  # and the pool one
                relay.cut()
                for _ in range(3):  # the connections found dead, then no new one
                    assert_unavailable(client.get("/api/v1/projects"))
                    assert_unavailable(client.post(url))
                    submit = {"id": "s1", "result": [box()]}
                    assert_unavailable(
                        client.post(f"/api/v1/tasks/{task}/annotations", json=submit)
                    )
                relay.restore()
                # Back: each connection found dead is replaced; no request meanwhile is a 500.
                deadline = time.monotonic() + 30
                answers = []
                while True:
                    made = client.post(f"/api/v1/tasks/{task}/annotations", json=submit)
                    answers.append(made.status_code)
                    if made.status_code in (200, 201):
                        break
                    assert_unavailable(made)
                    assert time.monotonic() < deadline, answers
                assert client.get(f"/api/v1/annotations/{made.json()['id']}").status_code == 200
                assert client.get("/api/v1/projects").status_code == 200
