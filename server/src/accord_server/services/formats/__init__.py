"""Readers and writers of outside formats (Label Studio, COCO, ...): one module per format,
shared by imports and exports, so a format is read and written by the same code."""
