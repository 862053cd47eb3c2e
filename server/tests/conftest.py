"""The server's tests take their fixtures from the shared plugin (also used by the SDK's tests):
a real database per test (SQLite file and PostgreSQL), ``settings``, ``stack``, ``factory``,
``redis_url`` and ``s3_endpoint``. See ``accord_server.testing`` and README.md "Tests".
``pytester`` runs the plugin itself in a subprocess (tests/test_testing.py)."""

pytest_plugins = ["accord_server.testing.plugin", "pytester"]
