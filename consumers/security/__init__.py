"""The security agent: passive scans of a project's target, each finding filed as an issue."""
