"""Benchmarks of tinygrad_gen against a peer measured in the same run; ``tgg bench`` (tinygrad_gen/cli/bench.py)
runs them, and each module also runs as ``python -m tinygrad_gen.benchmarks.MODULE``."""
