"""Failures that mean "the database, the bus or Temporal is away", not "this event is bad"."""

import asyncio

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from temporalio.service import RPCError, RPCStatusCode

from cognitest.infra.bus.connection import BusUnavailable
from cognitest.infra.bus.publisher import PublishFailed
from cognitest.infra.temporal import TemporalUnavailable

AWAY = (OSError, ConnectionError, asyncio.TimeoutError, InterfaceError, OperationalError, BusUnavailable, PublishFailed,
        TemporalUnavailable)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, AWAY):
        return True
    if isinstance(exc, RPCError):
        return exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.RESOURCE_EXHAUSTED)
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        name = type(exc.orig).__name__ if exc.orig is not None else ""
        return any(word in name for word in ("Connection", "CannotConnect", "Shutdown", "TooManyConnections",
                                             "AdminShutdown", "CrashShutdown", "SerializationError", "Deadlock"))
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and is_transient(cause)
