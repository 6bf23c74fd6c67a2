"""Transforms: reverse mode, and the optimisation passes over its result."""
