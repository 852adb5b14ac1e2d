"""Postgres plumbing: the embedded server, migrations, the SQL loader and bulk writes."""
