"""The admin CLI: ``accord-server serve | migrate | worker | user | token | demo``."""

from accord_server.cli.main import main

__all__ = ["main"]
