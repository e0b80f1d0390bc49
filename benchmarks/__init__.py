"""Benchmarks: ingest and quality speed and peak memory against baselines run alongside.

`uv run python -m benchmarks --rows 200000,1000000` (or `make bench`): generates an N-row GBK
enterprise registry (benchmarks.generate), runs every contender (benchmarks.contenders) in its
own process (benchmarks.child, measured by benchmarks.runner), and prints ratios against the
targets (benchmarks.report). See benchmarks/README.md.
"""
