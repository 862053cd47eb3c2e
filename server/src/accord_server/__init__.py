"""Accord server: the API, background jobs and admin CLI of the Accord labeling platform."""

__version__ = "0.1.0"
