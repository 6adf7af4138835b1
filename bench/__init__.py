"""Benchmarks: printed tables comparing mediacaster with a reference in the same run."""
