"""Use cases: each takes a session (one transaction, owned by the caller) and `now`."""
