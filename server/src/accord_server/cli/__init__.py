"""The admin CLI: ``accord-server serve | migrate | worker | user | token | organization |
source | demo``."""

from accord_server.cli.main import main
from accord_server.cli.sources import organization, source

main.add_command(organization)
main.add_command(source)

__all__ = ["main"]
