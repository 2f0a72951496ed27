"""The embedded dev stack: NATS, PostgreSQL and Temporal from PyPI packages, supervised
together with the platform's own processes. `cognitest up` and the test session both use it."""
