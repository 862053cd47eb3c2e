"""Test support for Accord's own test suites (the server's and the SDK's): one home for both.

``accord_server.testing.plugin`` is a pytest plugin (fixtures ``settings``, ``database_url``,
``stack``, ``factory``, ``redis_url``, ``s3_endpoint``); a suite loads it with
``pytest_plugins = ["accord_server.testing.plugin"]`` in its top ``conftest.py``. ``Stack`` and
``Factory`` are importable from here. Nothing under ``accord_server`` imports this package (a test
checks it), so production never loads it; it needs the ``dev`` extras (pytest, httpx).
"""

from accord_server.testing.factory import IMAGE_SCHEMA, TEXT_SCHEMA, Factory, Member
from accord_server.testing.stack import Stack, free_port, running_stack

__all__ = [
    "IMAGE_SCHEMA",
    "TEXT_SCHEMA",
    "Factory",
    "Member",
    "Stack",
    "free_port",
    "running_stack",
]
