"""The projection consumer: events in, PostgreSQL read models out."""
