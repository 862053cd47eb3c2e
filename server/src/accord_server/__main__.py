"""``python -m accord_server …`` runs the admin CLI, as the ``accord-server`` command does."""

from accord_server.cli import main

main()
