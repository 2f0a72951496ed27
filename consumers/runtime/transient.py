"""Failures that mean "the database or the bus is away", not "this event is bad"."""

import asyncio

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (OSError, ConnectionError, asyncio.TimeoutError, InterfaceError, OperationalError)):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        name = type(exc.orig).__name__ if exc.orig is not None else ""
        return any(word in name for word in ("Connection", "CannotConnect", "Shutdown", "TooManyConnections",
                                             "AdminShutdown", "CrashShutdown", "SerializationError", "Deadlock"))
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and is_transient(cause)
