"""Project bootstrap: give a new project its default suites and notification settings."""
