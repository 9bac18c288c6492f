"""Benchmarks, run by `make bench` (python -m bench); never part of the test suite.

Each result is one line, `name: value unit (goal …)`, so runs can be compared.
"""
