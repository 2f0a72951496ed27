"""NATS JetStream: connection, streams, publishing events and the dead-letter stream."""
