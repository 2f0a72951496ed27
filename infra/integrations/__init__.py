"""Outside services the platform talks to: Slack, JIRA, GitHub, SMTP, signed webhooks; and the
ledger that makes every such side effect happen once."""
