"""Analyst access: the read-only `analyst` role, the `platform_writer` group role, and the data
dictionary generated from the catalog's comments."""
