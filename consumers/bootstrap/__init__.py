"""Starts the project bootstrap workflow when a project is created."""
