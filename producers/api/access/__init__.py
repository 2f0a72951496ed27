"""Authentication and authorisation for every route: who is calling, and may they do this here."""
