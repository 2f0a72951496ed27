"""Parses uploaded requirement documents into atomic requirements."""
