"""Authentication (passkeys, sessions, recovery) and authorisation (policy)."""
