"""The HTTP event API (FastAPI): validate a command, publish its event, answer 202."""
