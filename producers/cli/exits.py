"""Exit codes shared by every command: 0 success, 1 a failed check, 2 bad usage or input,
3 the platform could not be reached."""

import sys
from typing import NoReturn

OK, FAILED, BAD_INPUT, UNREACHABLE = 0, 1, 2, 3


class CliError(Exception):
    def __init__(self, message: str, code: int = BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    raise CliError(message, code)


def report(error: CliError) -> NoReturn:
    sys.stderr.write(f"error: {error}\n")
    raise SystemExit(error.code)
