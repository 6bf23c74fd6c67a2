"""Optimisation passes: semantics-preserving rewrites of the adjoint IR.

Each pass is `run(fn) -> changed` (`passes.py` runs them, to a fixed point, verifying after each):
copy propagation, unbroadcast elision, dead-code and common-subexpression elimination, and
in-place writes. None changes what is computed; `optimize=False` skips them all.
"""
