"""What a consumer that reaches outside services holds: settings, the read models, the delivery
ledger (each side effect once), the outbound clients and the bus."""

from dataclasses import dataclass

from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import async_sessionmaker

from cognitest.infra.bus.publisher import EventPublisher
from cognitest.infra.integrations.ledger import Ledger
from cognitest.infra.integrations.outbound import Outbound
from cognitest.infra.settings import Settings


@dataclass
class Outlets:
    settings: Settings
    sessions: async_sessionmaker
    ledger: Ledger
    outbound: Outbound
    publisher: EventPublisher
    js: JetStreamContext
