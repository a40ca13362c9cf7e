"""Benchmarks of policyc and its generated evaluators: `python -m benchmarks`."""
