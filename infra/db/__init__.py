"""PostgreSQL read models: tables, engine, migrations, the projector and read repositories."""
