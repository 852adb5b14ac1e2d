"""Benchmarks of the platform against the obvious alternatives, measured on this machine.

`python -m bench` (what `make bench` runs) runs every registered benchmark; `python -m bench
bulk_write demo` runs a subset. Results go to `bench/results.json` (for machines) and
`bench/RESULTS.md` (for people); see `bench.results` for the format.
"""
