"""Who is calling and what they may do: accounts, sessions, API tokens, OIDC, roles, secrets at rest."""
