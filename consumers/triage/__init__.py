"""Triage of failures into issues, and the sync of issues to JIRA and GitHub."""
