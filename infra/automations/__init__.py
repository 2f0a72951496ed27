"""Automations: validating and loading definitions, matching event triggers, starter templates."""
