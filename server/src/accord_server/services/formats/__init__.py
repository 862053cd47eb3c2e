"""Readers and writers of outside formats: one module per format, shared by imports and exports,
so a format is read and written by the same code (``label_studio`` results,
``label_studio_config`` labeling configs, ``coco_rle`` mask run lengths). Modules here convert
values only; they never touch the database or storage."""
