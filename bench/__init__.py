"""Benchmarks (``make bench``): figures, never assertions. Results go to bench/results.json."""
