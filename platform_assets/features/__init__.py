"""Feature store: daily feature views over staging, their registry and online (latest) views."""
