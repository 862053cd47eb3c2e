"""Login limiting over real HTTP (issue 13, finding 7), each test keeping its attack:
concurrent guesses of one account, password spraying from one address, failures from one
address locking the owner out, and X-Forwarded-For spoofed to look like many addresses."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import select

from accord_server.db.models import LoginThrottle
from accord_server.services import login_limits
from accord_server.settings import Settings
from support import Factory, Stack, running_stack

LOGIN = "/api/v1/auth/login"
PROXY = "127.0.0.2"  # loopback too, a peer other than 127.0.0.1


@contextmanager
def limited(settings: Settings, **limits: Any) -> Iterator[Stack]:
    """A stack with these limits; waits of a minute unless they say otherwise, so that no
    window opens while a test runs on a slow machine."""
    waits = {"login_delay_seconds": 60, "login_max_delay_seconds": 60}
    with running_stack(settings.model_copy(update=waits | limits)) as stack:
        yield stack


def _client(stack: Stack, *, source: str = "127.0.0.1") -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=stack.url, transport=transport, timeout=120)


def _login(
    client: httpx.Client, email: str, password: str, forwarded_for: str | None = None
) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(LOGIN, json={"email": email, "password": password}, headers=headers)


def _all_at_once(stack: Stack, bodies: list[dict[str, str]]) -> list[httpx.Response]:
    """One thread and connection per request, released together."""
    start = threading.Barrier(len(bodies))
    answers: list[httpx.Response | BaseException] = [RuntimeError("not sent")] * len(bodies)

    def send(i: int) -> None:
        with _client(stack) as client:
            start.wait()
            try:
                answers[i] = client.post(LOGIN, json=bodies[i])
            except BaseException as exc:  # noqa: BLE001 - reported below
                answers[i] = exc

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    errors = [a for a in answers if not isinstance(a, httpx.Response)]
    assert not errors, errors[:3]
    return [a for a in answers if isinstance(a, httpx.Response)]


def test_60_concurrent_guesses_of_one_account_check_at_most_the_limit(settings: Settings) -> None:
    # Before: each request counted the failures, then checked, then recorded its own failure;
    # on PostgreSQL 38 of 60 concurrent guesses were checked against a limit of 10.
    with limited(
        settings,
        login_free_failures=10,
        login_address_free_failures=10_000,
        login_delay_seconds=120,
        login_max_delay_seconds=120,
    ) as stack:
        owner = Factory(stack).owner()
        answers = _all_at_once(stack, [{"email": owner.email, "password": "guess"}] * 60)
        statuses = Counter(a.status_code for a in answers)
        assert statuses == {401: 10, 429: 50}, statuses
        refused = next(a for a in answers if a.status_code == 429)
        assert refused.json()["details"]["limited"] == "account"
        assert 1 <= int(refused.headers["retry-after"]) <= 120
        with stack.runtime.db.session() as session:
            counted = session.scalar(
                select(LoginThrottle.failures).where(
                    LoginThrottle.key == login_limits.account_key(owner.email)
                )
            )
        assert counted == 10


def test_60_concurrent_sprays_from_one_address_check_at_most_its_limit(settings: Settings) -> None:
    # Password spraying: one guess for each of many accounts, all from one address.
    with limited(
        settings,
        login_free_failures=100,
        login_address_free_failures=10,
        login_delay_seconds=120,
        login_max_delay_seconds=120,
    ) as stack:
        bodies = [{"email": f"user{i}@example.com", "password": "Summer2026!"} for i in range(60)]
        answers = _all_at_once(stack, bodies)
        statuses = Counter(a.status_code for a in answers)
        assert statuses == {401: 10, 429: 50}, statuses
        assert {a.json()["details"]["limited"] for a in answers if a.status_code == 429} == {
            "address"
        }


def test_wrong_passwords_slow_the_account_down_but_the_owner_still_gets_in(
    settings: Settings,
) -> None:
    # Before: ten wrong passwords locked the account (and the address) for 60 s, even against
    # the right password: anyone could keep its owner out.
    with limited(
        settings,
        trusted_proxies=[PROXY],
        login_free_failures=3,
        login_delay_seconds=1,
        login_max_delay_seconds=2,
    ) as stack:
        owner = Factory(stack).owner()
        with _client(stack, source=PROXY) as proxy:
            statuses = []  # the guesser goes on until refused (the old limit was 10)
            while len(statuses) < 12 and 429 not in statuses:
                statuses.append(_login(proxy, owner.email, "guess", "203.0.113.7").status_code)
            assert statuses[-1] == 429, statuses
            # The owner, from another address, meets the account's wait: short and bounded.
            right = _login(proxy, owner.email, owner.password, "198.51.100.1")
            if right.status_code == 429:
                wait = int(right.headers["retry-after"])
                assert 1 <= wait <= 2, right.headers
                assert right.json()["details"]["limited"] == "account"
                assert "try again in" in right.json()["message"]
                time.sleep(wait)
                right = _login(proxy, owner.email, owner.password, "198.51.100.1")
            assert right.status_code == 200, (statuses, right.text)
        # The right password started the account over.
        with stack.runtime.db.session() as session:
            key = login_limits.account_key(owner.email)
            assert session.get(LoginThrottle, key) is None


def test_another_accounts_failures_never_refuse_a_right_password(settings: Settings) -> None:
    # Before: the address counter was shared by every account: a colleague behind the same
    # address (an office, a NAT) who mistyped ten times locked everyone else out for a minute.
    with limited(settings, login_free_failures=3, login_address_free_failures=30) as stack:
        factory = Factory(stack)
        careless, other = factory.owner(), factory.owner()
        with _client(stack) as client:
            for _ in range(12):
                assert _login(client, careless.email, "guess").status_code in (401, 429)
            assert _login(client, other.email, other.password).status_code == 200


def _spoofed(stack: Stack, source: str) -> Counter[int]:
    """Six guesses at six accounts, each claiming another address in X-Forwarded-For."""
    with _client(stack, source=source) as client:
        return Counter(
            _login(client, f"victim{i}@example.com", "guess", f"198.51.100.{i}").status_code
            for i in range(6)
        )


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_configured_proxy(
    settings: Settings,
) -> None:
    # Before: uvicorn believed X-Forwarded-For from 127.0.0.1 by default, so 25 spoofed
    # addresses from one client were 25 fresh counters and never limited.
    # (The stacks share one database: each part sends from a peer address of its own.)
    with limited(settings, login_address_free_failures=3) as stack:
        assert _spoofed(stack, "127.0.0.1") == {401: 3, 429: 3}
    with limited(settings, login_address_free_failures=3, trusted_proxies=[PROXY]) as stack:
        assert _spoofed(stack, "127.0.0.3") == {401: 3, 429: 3}  # not the proxy
        assert _spoofed(stack, PROXY) == {401: 6}  # the proxy: each its own address
    with limited(settings, login_address_free_failures=3, trusted_proxies=["*"]) as stack:
        assert _spoofed(stack, "127.0.0.4") == {401: 6}


def test_a_refused_attempt_is_not_counted_and_checks_no_password(settings: Settings) -> None:
    with limited(settings) as stack:
        owner = Factory(stack).owner()
        free = stack.settings.login_free_failures
        with _client(stack) as client:
            for _ in range(free):
                assert _login(client, owner.email, "guess").status_code == 401
            refused = [_login(client, owner.email, "guess") for _ in range(5)]
            right = _login(client, owner.email, owner.password)
        assert {r.status_code for r in [*refused, right]} == {429}
        wait = right.json()["details"]["retry_after_seconds"]
        assert 50 <= wait <= 60 and right.headers["retry-after"] == str(wait)
        assert right.json() == {
            "code": "rate_limited",
            "message": f"too many failed logins for this account; try again in {wait} s",
            "details": {"retry_after_seconds": wait, "limited": "account"},
        }
        with stack.runtime.db.session() as session:
            row = session.get(LoginThrottle, login_limits.account_key(owner.email))
        assert row is not None and row.failures == free


def test_unknown_emails_are_limited_like_accounts(settings: Settings) -> None:
    with limited(settings) as stack:
        owner = Factory(stack).owner()
        free = stack.settings.login_free_failures

        def answers(email: str) -> list[tuple[int, str]]:
            with _client(stack) as client:
                out = []
                for _ in range(free + 1):
                    r = _login(client, email, "guess")
                    out.append((r.status_code, r.json()["code"]))
                return out

        assert answers(owner.email) == answers("nobody@example.com")
