"""The sub-APIs hung on ``Client`` (``client.projects``, ``client.tasks``...)."""
