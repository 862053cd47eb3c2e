"""A large JSON body is decoded in pieces: the same value or error as ``json.loads``, and a
thread decoding it lets the others run (the C decoder holds the GIL for a whole body)."""

from __future__ import annotations

import json
import random
import threading
import time

import pytest

from accord_server.api.bodies import loads_in_pieces

VECTORS = [
    '{"id": "c1", "result": [{"id": "r1", "g": {"x": 1.5, "y": [1, 2]}}, {"id": "r2"}, [], {}], '
    '"lead_time": 3, "n": null, "t": true, "e": {}, "o": {"a": [1, {"b": 2}], "c": "d\\u00e9"}}',
    '[1, 2, [3, [4]], {"a": {"b": []}}]',
    '"x"',
    "12",
    " { } ",
    "[ ]",
    "NaN",
    "[Infinity, -Infinity, 1e400]",
    '{"a": 1, "a": 2}',
]


def _outcome(decode: object, text: str | bytes) -> tuple[object, ...]:
    assert callable(decode)
    try:
        return ("value", json.dumps(decode(text), sort_keys=True))
    except json.JSONDecodeError as exc:
        return ("error", exc.msg, exc.pos)
    except ValueError as exc:
        return (type(exc).__name__, str(exc))


@pytest.mark.parametrize("text", VECTORS)
def test_the_same_value_as_json_loads(text: str) -> None:
    assert _outcome(loads_in_pieces, text) == _outcome(json.loads, text)
    assert _outcome(loads_in_pieces, text.encode()) == _outcome(json.loads, text.encode())


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xef\xbb\xbf{}",  # a UTF-8 BOM in bytes is accepted, as json.loads does
        "\ufeff{}",  # in a string it is not
        b'{"a": "\xff"}',
        '{"a": "é"}'.encode("utf-16"),
        b'{"a": 1} x',
        b'{"a" 1}',
        b'{"a": 1,}',
        b"[1,]",
        b"[1 2]",
        b"{1: 2}",
    ],
)
def test_the_same_error_as_json_loads(body: str | bytes) -> None:
    assert _outcome(loads_in_pieces, body) == _outcome(json.loads, body)


def test_damaged_bodies_fail_as_json_loads_fails() -> None:
    rng = random.Random(13)
    alphabet = list('{}[],:" 1a\\\n')
    for _ in range(3000):
        chars = list(rng.choice(VECTORS))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(chars) + 1)
            if rng.random() < 0.5 and chars:
                del chars[min(at, len(chars) - 1)]
            else:
                chars.insert(at, rng.choice(alphabet))
        text = "".join(chars)
        assert _outcome(loads_in_pieces, text) == _outcome(json.loads, text), text


def test_a_thread_decoding_a_large_body_lets_the_others_run() -> None:
    regions = [{"id": f"r{i}", "geometry": {"x": i, "y": 1.5}} for i in range(150_000)]
    body = json.dumps({"id": "a", "result": regions}).encode()
    decoded: list[object] = []
    thread = threading.Thread(target=lambda: decoded.append(loads_in_pieces(body)))
    ticks = 0
    started = time.perf_counter()
    thread.start()
    while thread.is_alive():
        time.sleep(0.001)
        ticks += 1
    took = time.perf_counter() - started
    assert decoded == [{"id": "a", "result": regions}]
    # json.loads in that thread: one tick, at its end (measured: a 130,000-region body held
    # the other threads for its whole 0.4-0.5 s).
    assert ticks >= 10, f"{ticks} wake-ups in {took:.2f} s of decoding"
