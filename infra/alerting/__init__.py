"""Alerting: which notification rules an event fires, quiet hours, and the messages sent."""
