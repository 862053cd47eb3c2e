"""Exports: a project's tasks and labels, in a format, as one download made in the background.

``service`` creates, reads, lists and deletes exports; ``options`` checks what is asked (the
result choice, split, label mapping, filter, the format's options); ``pipeline`` is what the job
runs; ``packing`` makes the folder a writer filled into one deterministic file and stores it.
See README.md."""
