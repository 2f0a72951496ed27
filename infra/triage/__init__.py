"""Triage: failure signatures, matching failures to issues, flakiness and remediation hints."""
