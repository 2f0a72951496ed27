"""Alerting: per-project notification rules delivered to Slack, signed webhooks and email."""
