"""The rule table as a whole: well-formed entries, no callable both differentiable
and not, rules whose emitted calls all have rules themselves (so gradients of
gradients work), and every NumPy callable in scope (scripts/gen_numpy_coverage.py)
covered or listed there as missing, with a reason."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from srcgrad.ir import Block, Const, Value
from srcgrad.ir.builder import Builder, Sym
from srcgrad.rules import is_nondifferentiable, load_builtin_rules, lookup, registry
from test_rules import CASES, K, RuleCase, differentiable

load_builtin_rules()

ROOT = Path(__file__).resolve().parent.parent


def _coverage_script() -> Any:
    spec = importlib.util.spec_from_file_location("gen_numpy_coverage", ROOT / "scripts" / "gen_numpy_coverage.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


COVERAGE = _coverage_script()


def test_every_entry_is_well_formed() -> None:
    for fn, vjp in registry.registered().items():
        kinds = [bool(vjp.partials), vjp.whole is not None, vjp.zero]
        assert sum(kinds) == 1, f"{vjp.name}: exactly one of partials, a whole rule, or zero: {vjp!r}"
        assert vjp.name, fn
        assert all(p is None or callable(p) for p in vjp.partials), vjp.name
        assert any(p is not None for p in vjp.partials) or not vjp.partials, f"{vjp.name}: every partial is None"


def test_no_callable_is_both_differentiable_and_not() -> None:
    both = [fn for fn in registry.nondifferentiable_callees() if lookup(fn) is not None]
    assert not both, f"declared non-differentiable and given a rule: {both}"


def test_the_table_has_at_least_250_callables_with_rules() -> None:
    assert len(registry.registered()) >= 250, len(registry.registered())


# --- rules emit only callees that have rules: gradients of gradients ------------------------------
def _emitted(partial: Any, args: list, kwargs: dict) -> tuple[Any, list]:
    """Run a partial on symbolic values as reverse mode does: (its result, the call ops it emitted)."""
    builder = Builder(Block())

    def sym(x: Any) -> Any:
        return builder.sym(Value("v")) if x is SYMBOLIC else x

    result = partial(sym(SYMBOLIC), sym(SYMBOLIC), *[sym(a) for a in args], **{k: sym(v) for k, v in kwargs.items()})
    return result, [op for op in builder.block.ops if op.kind == "call"]


SYMBOLIC = object()
"""Stands for a run-time value: the partial gets a Sym in its place."""


def _operand(x: Any) -> Any:
    return x.value if isinstance(x, Const) else SYMBOLIC


def _trace(partial: Any, args: list, kwargs: dict, where: str, seen: set, depth: int) -> list[str]:
    problems = []
    result, ops = _emitted(partial, args, kwargs)
    if result is not None and not isinstance(result, Sym):
        problems.append(f"{where}: returned {type(result).__name__}, not a symbolic value")
    for op in ops:
        rule = lookup(op.fn)
        name = getattr(op.fn, "__qualname__", repr(op.fn))
        if rule is None:
            if not is_nondifferentiable(op.fn):
                problems.append(f"{where}: emits {name}, which has no rule")
            continue
        if depth == 0 or rule.zero or rule.whole is not None:
            continue
        op_args = [_operand(a) for a in op.args]
        op_kwargs = {k: _operand(a) for k, a in op.kwargs.items()}
        key = (id(op.fn), repr([a if a is not SYMBOLIC else "?" for a in op_args]), repr(sorted(op_kwargs)))
        if key in seen:
            continue
        seen.add(key)
        for i, a in enumerate(op_args):
            partial = rule.partial(i)
            if a is SYMBOLIC and partial is not None:
                problems += _trace(partial, op_args, op_kwargs, f"{where} -> {name}[{i}]", seen, depth - 1)
    return problems


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rules_emit_only_callees_with_rules(case: RuleCase) -> None:
    """Each partial, run on symbolic values, emits calls that all have rules (or need none), two levels deep."""
    args = [spec.value if isinstance(spec, K) else SYMBOLIC for spec in case.inputs]
    problems: list[str] = []
    for i in differentiable(case):
        partial = lookup(case.fn).partial(i)  # type: ignore[union-attr]
        problems += _trace(partial, args, case.kwargs, f"{case.id}[{i}]", set(), depth=2)
    assert not problems, "\n".join(problems)


# --- every callable in scope is covered, or missing with a reason -------------------------------------
def test_every_callable_in_scope_has_a_rule_or_a_reason() -> None:
    missing = set(COVERAGE.missing())
    unexplained = sorted(missing - set(COVERAGE.KNOWN_MISSING))
    assert not unexplained, f"in scope, without a rule and without a reason in KNOWN_MISSING: {unexplained}"


def test_every_reason_for_a_missing_rule_is_still_needed() -> None:
    present = {name for _, name, _ in COVERAGE.in_scope()}
    stale = sorted(name for name in COVERAGE.KNOWN_MISSING if name in present and name not in COVERAGE.missing())
    assert not stale, f"KNOWN_MISSING lists callables that now have a rule (remove them): {stale}"


def test_the_required_families_are_covered() -> None:
    """The callables issue 3 names, by family, each with a rule (or declared without a gradient)."""
    required = {
        "rule": [
            np.arcsinh, np.arctanh, np.logaddexp, np.logaddexp2, np.expm1, np.log1p, np.cbrt, np.hypot, np.arctan2,
            np.fmax, np.fmin, np.clip, np.sinc, np.deg2rad, np.rad2deg, np.remainder, np.fmod, np.copysign,
            np.var, np.std, np.cumsum, np.cumprod, np.average, np.nansum, np.nanmean, np.ptp,
            np.vdot, np.inner, np.outer, np.tensordot, np.einsum, np.kron, np.trace, np.diag, np.diagonal, np.tril,
            np.triu, np.linalg.inv, np.linalg.solve, np.linalg.det, np.linalg.slogdet, np.linalg.cholesky,
            np.linalg.eigh, np.linalg.norm, np.linalg.pinv, np.linalg.matrix_power, np.linalg.qr, np.linalg.svd,
            np.swapaxes, np.moveaxis, np.atleast_1d, np.atleast_2d, np.atleast_3d, np.vstack, np.hstack,
            np.dstack, np.column_stack, np.split, np.array_split, np.tile, np.repeat, np.flip, np.fliplr,
            np.flipud, np.rot90, np.roll, np.pad, np.sort, np.take, np.take_along_axis, np.select, np.choose,
            # constructors whose values come from a differentiable argument (fill value, end points)
            np.full, np.full_like, np.linspace,
        ],
        "zero": [np.floor, np.ceil, np.round, np.rint, np.trunc, np.sign, np.around, np.fix],
        "none": [np.argmax, np.argmin, np.argsort, np.nonzero, np.isnan, np.greater, np.shape, np.zeros_like,
                 np.ones_like, np.arange, np.eye],
    }  # fmt: skip
    for fn in required["rule"]:
        rule = lookup(fn)
        assert rule is not None and rule.partials, fn
    for fn in required["zero"]:
        rule = lookup(fn)
        assert rule is not None and rule.zero, fn
    for fn in required["none"]:
        assert is_nondifferentiable(fn), fn
