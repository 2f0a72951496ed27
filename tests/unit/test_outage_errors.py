"""What the API answers 503 for: a database outage however it is wrapped, never a bug."""

import errno

from sqlalchemy.exc import DBAPIError

from cognitest.producers.api.errors import is_outage


class CannotConnectNowError(Exception):  # asyncpg's name for "the database system is starting up"
    pass


def test_outages_are_found_through_wrappers_and_bugs_are_not() -> None:
    refused = OSError("Multiple exceptions: [Errno 111] Connect call failed ('127.0.0.1', 5432), "
                      "[Errno 99] Cannot assign requested address")  # asyncpg, every address of localhost refused
    assert is_outage(refused)
    assert is_outage(OSError(errno.ECONNRESET, "Connection reset by peer"))
    wrapped = DBAPIError("SELECT 1", {}, CannotConnectNowError("the database system is starting up"))
    assert is_outage(wrapped)
    try:
        try:
            raise CannotConnectNowError("starting up")
        except CannotConnectNowError as inner:
            raise RuntimeError("while reading the project") from inner
    except RuntimeError as outer:
        assert is_outage(outer)
    assert not is_outage(ValueError("a bug"))
    assert not is_outage(FileNotFoundError(errno.ENOENT, "no such file"))
    assert not is_outage(DBAPIError("SELECT 1", {}, ValueError("invalid input syntax for type uuid")))
