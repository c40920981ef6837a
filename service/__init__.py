"""A server-rendered messaging service: Starlette, HTMX 2 and PostgreSQL through plain SQL."""
