"""The `cognitest` command line."""
