"""Benchmarks: each figure measured beside its raw baseline in the same run.

Each ``bench/<stage>.py`` is runnable on its own (``python -m bench.<stage>``) and
reports through :func:`bench.common.report`; ``make bench`` (``python -m bench``) runs
them all and writes ``BENCHMARKS.md`` and ``artifacts/bench/results.json``.
"""
