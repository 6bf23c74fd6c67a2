"""Derivative rules: the VJP table and its entries, one module per family."""

from .registry import VJP, defvjp, is_nondifferentiable, lookup, nondifferentiable, register_vjp, vjp_rule, zero_vjp

__all__ = [
    "VJP",
    "defvjp",
    "is_nondifferentiable",
    "lookup",
    "nondifferentiable",
    "register_vjp",
    "vjp_rule",
    "zero_vjp",
]


def load_builtin_rules() -> None:
    """Import the rule modules (they register on import; later ones read earlier entries)."""
    # isort: off
    from . import numpy_rules, python_rules  # noqa: F401
    from . import ufunc_rules, reduction_rules, linalg_rules, linalg_helper_rules, shape_rules  # noqa: F401
    from . import scipy_rules, scipy_stats_rules, view_rules  # noqa: F401
    # isort: on
