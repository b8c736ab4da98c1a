"""Business rules as pure functions: no database session, no SMTP client, no web request."""
