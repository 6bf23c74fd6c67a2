"""Differential oracles for one generated program.

`make_case(program)` draws float64 inputs, a direction per differentiated input, seeds
for the outputs and a direction for the Hessian-vector product, all from the program's
seed. `run_case(case, directory)` then checks, in order:

- ``value``: `value_and_grad`'s value equals `f(*args)` run directly on copies of the
  arguments (bit for bit in aliasing mode, to 1e-12 otherwise);
- ``mutation``: srcgrad's calls leave their arguments as they were;
- ``shape_dtype``: each gradient has its input's shape and dtype (a Python float for a
  Python float, an `np.float64` for one, a 0-d array for a 0-d array);
- ``fd``: ⟨g, v⟩ against central differences of ⟨u, f(x + t v)⟩, re-checked at other
  steps (and a Richardson extrapolation) before it is called a failure;
- ``jvp``: forward mode's `srcgrad.jvp` along the same directions gives the value of
  `f(*args)` (as ``value`` does) and ⟨u, J·v⟩ = ⟨Jᵀ·u, v⟩, reverse mode's, to rounding (a
  program forward mode refuses where reverse mode did not is noted, not failed);
- ``optimize``: `optimize=False` gives the same gradients to rounding;
- ``hvp``: ⟨H w, v⟩ from `srcgrad.grad(srcgrad.grad(f, wrt=...), wrt=...)` called with
  `grad_ys=w`, against central differences of ⟨∇f(x + t v), w⟩.

Any exception other than a `srcgrad.SrcgradError` from a srcgrad call is the failure
``exception`` (``hvp`` when it comes from the second derivative). A `SrcgradError` is a
refusal: counted apart, not a failure. Programs whose value or gradients are not finite,
or that are not smooth along the direction (a branch flips or a kink lies within the
step: the one-sided differences disagree), are dropped.
"""

from __future__ import annotations

import copy
import math
import os
import signal
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import srcgrad

from .generator import Param, Program, load

ORACLES = ("value", "mutation", "shape_dtype", "fd", "jvp", "optimize", "hvp")
RTOL, ATOL = 1e-5, 1e-6


@dataclass
class Case:
    """A program with all its random inputs fixed (what a regression file records)."""

    source: str
    params: list
    wrt: Any
    options: dict
    args: tuple
    directions: list  # one per wrt position
    hvp_directions: list  # one per wrt position
    grad_ys: Any  # None, a seed, or a tuple of seeds
    use_seeds: bool
    mode: str = "normal"
    seed: int = 0
    features: set = field(default_factory=set)

    @property
    def wrt_positions(self) -> list[int]:
        entries = (self.wrt,) if isinstance(self.wrt, (int, str)) else self.wrt
        names = [p.name for p in self.params]
        return [e if isinstance(e, int) else names.index(e) for e in entries]


@dataclass
class Outcome:
    status: str  # passed | refused | dropped | failed | invalid
    oracle: str = ""  # failed: the oracle; dropped: why; refused: the stage
    detail: str = ""
    notes: list = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.status}:{self.oracle}" if self.oracle else self.status


def like(rng: np.random.Generator, p: Param) -> Any:
    value = rng.standard_normal(p.shape)
    if p.kind == "float":
        return float(value)
    if p.kind == "np64":
        return np.float64(value)
    return np.asarray(value, dtype=np.float64)


def seed_like(rng: np.random.Generator, shape: tuple) -> Any:
    return float(rng.standard_normal()) if shape == () else rng.standard_normal(shape)


def make_case(program: Program) -> Case:
    rng = np.random.default_rng(program.seed)
    args = program.make_args(rng)
    positions = program.wrt_positions
    directions = [like(rng, program.params[i]) for i in positions]
    hvp_directions = [like(rng, program.params[i]) for i in positions]
    seeds = tuple(seed_like(rng, s) for s in program.outputs)
    use_seeds = bool(rng.random() < 0.6)
    grad_ys = (seeds if len(seeds) > 1 else seeds[0]) if use_seeds else None
    return Case(program.source, program.params, program.wrt, dict(program.options), args, directions,
                hvp_directions, grad_ys, use_seeds, program.mode, program.seed, set(program.features))


# --- helpers -----------------------------------------------------------------------------


def outputs(out: Any) -> tuple:
    return out if isinstance(out, tuple) else (out,)


def finite(value: Any) -> bool:
    try:
        return all(o is None or bool(np.all(np.isfinite(np.asarray(o, dtype=np.float64)))) for o in outputs(value))
    except (TypeError, ValueError):
        return False


def inner(a: Any, b: Any) -> float:
    if a is None or b is None:
        return 0.0
    return float(np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)))


def same_value(a: Any, b: Any) -> bool:
    """Equal bit for bit, Python floats and NumPy scalars alike."""
    if type(a) is np.ndarray or type(b) is np.ndarray:
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape \
            and np.array_equal(a, b)
    return type(a) is type(b) and (a == b or (a != a and b != b))


def copy_args(args: tuple) -> tuple:
    return tuple(copy.deepcopy(a) for a in args)


def perturbed(case: Case, t: float, directions: list) -> tuple:
    args = list(copy_args(case.args))
    for pos, v in zip(case.wrt_positions, directions):
        p = case.params[pos]
        x = args[pos] + t * v
        args[pos] = float(x) if p.kind == "float" else np.float64(x) if p.kind == "np64" else np.asarray(x, dtype=np.float64)
    return tuple(args)


def innermost(e: BaseException) -> str:
    frames = traceback.extract_tb(e.__traceback__)
    if not frames:
        return "?"
    fr = frames[-1]
    return f"{os.path.basename(fr.filename)}:{fr.lineno}: {fr.line}"


def describe(e: BaseException) -> str:
    return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} [at {innermost(e)}]"


def refusal_reason(e: BaseException) -> str:
    """A short category for a refusal: the 'error: ...' of its message."""
    text = str(e)
    for line in text.splitlines():
        if "error:" in line:
            return line.split("error:", 1)[1].strip()[:90]
    return text.splitlines()[0][:90] if text else type(e).__name__


class Timeout(Exception):
    pass


def _alarm(signum, frame):  # pragma: no cover - only on a hang
    raise Timeout("the program ran past its time limit")


# --- finite differences -----------------------------------------------------------------


def fd_verdict(phi, phi0: float, analytic: float, scale: float, steps=(1e-6, 1e-7, 1e-5, 1e-4)) -> tuple[str, str]:
    """'ok', 'nonsmooth' or 'fail' for d/dt phi(t) at 0 against `analytic`."""

    def close(d: float, rtol: float = RTOL) -> bool:
        return abs(d - analytic) <= rtol * max(abs(d), abs(analytic), scale) + ATOL

    tried = []
    values = {}
    for h in steps:
        values[h] = (phi(h), phi(-h))
        if not all(math.isfinite(v) for v in values[h]):
            return "nonfinite", ""
        central = (values[h][0] - values[h][1]) / (2 * h)
        tried.append(f"h={h:g}: {central:.10g}")
        if close(central):
            return "ok", ""
    h = 1e-3
    c1 = (phi(h) - phi(-h)) / (2 * h)
    c2 = (phi(h / 2) - phi(-h / 2)) / h
    richardson = (4 * c2 - c1) / 3
    tried.append(f"richardson(1e-3): {richardson:.10g}")
    if math.isfinite(richardson) and close(richardson):
        return "ok", ""
    # Rounding in phi itself (a huge value) hides a derivative this small from every step tried.
    h = max(steps)
    noise = 16 * np.finfo(float).eps * max(abs(v) for v in values[h]) / h
    if abs((values[h][0] - values[h][1]) / (2 * h) - analytic) <= noise:
        return "unresolved", ""
    # A derivative far beyond the value's own size (`x += x @ x` five times, then `sin(x)`: x near
    # 1e40) changes phi across any step finite differences can take: they resolve nothing there.
    if abs(analytic) > 1e8 * max(1.0, abs(phi0)):
        return "unresolved", ""
    # Values far past the generator's range (`x += np.vdot(x, x)` five times: 1e13) are sums whose
    # rounding (`x.var()` of them cancels 13 digits) the adjoint and the differences see differently.
    if max(abs(analytic), abs(phi0)) > 1e10:
        return "unresolved", ""
    # One-sided differences that disagree: a kink or a branch flip within the step.
    for h in (1e-6, 1e-7):
        fwd = (values[h][0] - phi0) / h
        bwd = (phi0 - values[h][1]) / h
        if abs(fwd - bwd) > 1e-3 * max(abs(fwd), abs(bwd), scale) + 1e-5:
            return "nonsmooth", ""
    return "fail", f"analytic {analytic:.10g} vs central differences " + ", ".join(tried)


# --- the checks --------------------------------------------------------------------------


def _check_shape(g: Any, x: Any, p: Param, options: dict) -> str:
    if g is None:
        return "" if options.get("unconnected_gradients", "none") == "none" else "None with unconnected_gradients='zero'"
    if p.kind == "float":
        return "" if type(g) is float else f"a Python float input got {type(g).__name__}"
    if p.kind == "np64":
        return "" if type(g) is np.float64 else f"an np.float64 input got {type(g).__name__}"
    if type(g) is not np.ndarray:
        return f"an array of shape {x.shape} got {type(g).__name__}"
    if g.shape != x.shape or g.dtype != x.dtype:
        return f"an array of shape {x.shape} {x.dtype} got shape {g.shape} {g.dtype}"
    return ""


def run_case(case: Case, directory: Path, *, only: tuple | None = None, second_order: bool = True,
             timeout: float = 0) -> Outcome:
    """All oracles (or those in `only`) on one case."""
    if timeout and hasattr(signal, "SIGALRM"):
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            return _run(case, directory, only, second_order)
        except Timeout:
            return Outcome("failed", "timeout", f"ran past {timeout}s")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    return _run(case, directory, only, second_order)


def _run(case: Case, directory: Path, only: tuple | None, second_order: bool) -> Outcome:
    with np.errstate(all="ignore"):
        return _run_checks(case, directory, only or ORACLES, second_order)


def _run_checks(case: Case, directory: Path, only: tuple, second_order: bool) -> Outcome:
    try:
        module = load(case.source, directory)
        f = module.f
    except Exception as e:  # the generator wrote something Python rejects
        return Outcome("invalid", "import", describe(e))
    try:
        value0 = f(*copy_args(case.args))
    except Exception as e:
        return Outcome("invalid", "python", describe(e))
    if not finite(value0):
        return Outcome("dropped", "nonfinite")
    positions = case.wrt_positions
    options = dict(case.options)
    notes: list[str] = []
    seeds = outputs(case.grad_ys) if case.use_seeds else None
    if seeds is not None and len(seeds) != len(outputs(value0)):
        return Outcome("invalid", "seeds", "the seeds do not match the outputs")

    def objective(value: Any) -> float:
        outs = outputs(value)
        if seeds is None:
            return float(sum(np.sum(np.asarray(o, dtype=np.float64)) for o in outs))
        return sum(inner(o, s) for o, s in zip(outs, seeds))

    def phi(t: float) -> float:
        return objective(f(*perturbed(case, t, case.directions)))

    # value_and_grad, optimize=True
    args = copy_args(case.args)
    try:
        value, grads = srcgrad.value_and_grad(f, wrt=case.wrt, optimize=True, **options)(*args, grad_ys=case.grad_ys)
    except srcgrad.SrcgradError as e:
        return Outcome("refused", "first", refusal_reason(e))
    except Timeout:
        raise
    except Exception as e:
        return Outcome("failed", "exception", describe(e))
    grads_t = (grads,) if isinstance(case.wrt, (int, str)) else tuple(grads)

    if "mutation" in only and not all(same_value(a, b) for a, b in zip(args, case.args)):
        return Outcome("failed", "mutation", "value_and_grad changed its arguments")

    if "value" in only:
        got, want = outputs(value), outputs(value0)
        if len(got) != len(want) or not all(np.shape(a) == np.shape(b) for a, b in zip(got, want)):
            return Outcome("failed", "value", f"value {value!r} vs f(*args) {value0!r}")
        exact = all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(got, want))
        if not exact:
            close = all(np.allclose(a, b, rtol=1e-12, atol=1e-12) for a, b in zip(got, want))
            if case.mode == "aliasing" or not close:
                return Outcome("failed", "value", f"value {value!r} vs f(*args) {value0!r}")
            notes.append("value_not_bitwise")

    if "shape_dtype" in only:
        for pos, g in zip(positions, grads_t):
            problem = _check_shape(g, case.args[pos], case.params[pos], options)
            if problem:
                return Outcome("failed", "shape_dtype", f"gradient of {case.params[pos].name}: {problem}")

    if not finite(grads_t):
        return Outcome("dropped", "nonfinite_grad", notes=notes)
    scale = math.sqrt(sum(inner(g, g) for g in grads_t))

    if "fd" in only:
        analytic = sum(inner(g, v) for g, v in zip(grads_t, case.directions))
        verdict, detail = fd_verdict(phi, objective(value0), analytic, scale)
        if verdict in ("nonfinite", "unresolved"):
            return Outcome("dropped", verdict, notes=notes)
        if verdict == "nonsmooth":
            return Outcome("dropped", "nonsmooth", notes=notes)
        if verdict == "fail":
            return Outcome("failed", "fd", detail, notes=notes)

    if "jvp" in only:
        outcome = _jvp(case, f, value0, grads_t, scale, seeds, notes)
        if outcome is not None:
            return outcome

    if "optimize" in only:
        args2 = copy_args(case.args)
        try:
            raw = srcgrad.grad(f, wrt=case.wrt, optimize=False, **options)(*args2, grad_ys=case.grad_ys)
        except srcgrad.SrcgradError as e:  # a run-time refusal the optimiser removed with the dead code it guarded
            notes.append("optimize_false_refused: " + refusal_reason(e))
            raw = None
        except Timeout:
            raise
        except Exception as e:
            return Outcome("failed", "optimize", "optimize=False raised " + describe(e), notes=notes)
        raw_t = grads_t if raw is None else (raw,) if isinstance(case.wrt, (int, str)) else tuple(raw)
        if not all(same_value(a, b) for a, b in zip(args2, case.args)):
            return Outcome("failed", "mutation", "grad(optimize=False) changed its arguments", notes=notes)
        for pos, a, b in zip(positions, grads_t, raw_t):
            name = case.params[pos].name
            if (a is None) != (b is None) or type(a) is not type(b) or np.shape(a) != np.shape(b):
                return Outcome("failed", "optimize", f"d{name}: optimize=True {a!r} vs optimize=False {b!r}", notes=notes)
            if a is not None and not np.allclose(a, b, rtol=1e-9, atol=1e-10 * (1.0 + scale)):
                return Outcome("failed", "optimize", f"d{name}: optimize=True {a!r} vs optimize=False {b!r}", notes=notes)

    if "hvp" in only and second_order:
        outcome = _hvp(case, f, positions, notes)
        if outcome is not None:
            return outcome
    return Outcome("passed", notes=notes)


def _guarded(call: Any, case: Case, oracle: str, what: str, refused: str, notes: list) -> tuple[Any, Outcome | None]:
    """`call(args)` on copies of the case's arguments: (its result, None). A refusal is noted
    (`refused`), not failed; any other exception is the failure `oracle`, and a change to the
    arguments the failure ``mutation``."""
    args = copy_args(case.args)
    try:
        result = call(args)
    except srcgrad.SrcgradError as e:
        notes.append(f"{refused}: " + refusal_reason(e))
        return None, None
    except Timeout:
        raise
    except Exception as e:
        return None, Outcome("failed", oracle, f"{what} raised " + describe(e), notes=notes)
    if not all(same_value(a, b) for a, b in zip(args, case.args)):
        return None, Outcome("failed", "mutation", f"{what} changed its arguments", notes=notes)
    return result, None


def _jvp(case: Case, f: Any, value0: Any, grads: tuple, scale: float, seeds: Any, notes: list) -> Outcome | None:
    """Forward mode against reverse mode: ⟨u, J·v⟩ = ⟨Jᵀ·u, v⟩ along the case's directions."""
    tangents = [np.zeros_like(a) if isinstance(a, np.ndarray) else 0.0 * a if isinstance(a, (float, np.floating)) else a
                for a in case.args]
    for pos, v in zip(case.wrt_positions, case.directions):
        p = case.params[pos]
        tangents[pos] = float(v) if p.kind == "float" else np.float64(v) if p.kind == "np64" else np.asarray(v)
    options = {k: v for k, v in case.options.items() if k == "stop_gradients"}
    result, failure = _guarded(lambda args: srcgrad.jvp(f, args, tangents, **options), case, "jvp", "jvp",
                               "jvp_refused", notes)
    if result is None:
        return failure
    value, tangent = result
    got, want = outputs(value), outputs(value0)
    if len(got) != len(want) or not all((a is None and b is None) or a is not None and b is not None
                                        and np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-12, atol=1e-12)
                                        for a, b in zip(got, want)):
        return Outcome("failed", "jvp", f"jvp's value {value!r} vs f(*args) {value0!r}", notes=notes)
    tangents_out = outputs(tangent)
    if len(tangents_out) != len(want) or not all(np.shape(t) == np.shape(y) for t, y in zip(tangents_out, want)):
        return Outcome("failed", "jvp", f"tangent {tangent!r} is not shaped like the value {value0!r}", notes=notes)
    if not finite(tangents_out):
        notes.append("jvp_nonfinite")
        return None
    us = seeds if seeds is not None else tuple(np.ones(np.shape(y)) for y in want)
    forward = sum(inner(u, t) for u, t in zip(us, tangents_out))
    reverse = sum(inner(g, v) for g, v in zip(grads, case.directions))
    size = math.sqrt(sum(inner(v, v) for v in case.directions)) * scale
    if abs(forward - reverse) > 1e-7 * max(abs(forward), abs(reverse), size) + 1e-9:
        return Outcome("failed", "jvp", f"<u, J v> {forward!r} (forward) vs <J^T u, v> {reverse!r} (reverse)",
                       notes=notes)
    return None


def _hvp(case: Case, f: Any, positions: list, notes: list) -> Outcome | None:
    wrt = tuple(positions)
    first = srcgrad.grad(f, wrt=wrt, unconnected_gradients="zero")
    w = tuple(case.hvp_directions)
    hw, failure = _guarded(lambda args: srcgrad.grad(first, wrt=wrt, unconnected_gradients="zero")(*args, grad_ys=w),
                           case, "hvp", "the second derivative", "second_order_refused", notes)
    if hw is None:
        return failure
    hw = tuple(hw)
    if not finite(hw):
        notes.append("second_order_nonfinite")
        return None
    for pos, h in zip(positions, hw):
        problem = _check_shape(h, case.args[pos], case.params[pos], {"unconnected_gradients": "zero"})
        if problem:
            return Outcome("failed", "shape_dtype", f"second derivative w.r.t. {case.params[pos].name}: {problem}", notes=notes)

    def psi(t: float) -> float:
        g = first(*perturbed(case, t, case.directions))
        return sum(inner(gi, wi) for gi, wi in zip(g, w))

    try:
        psi0 = psi(0.0)
    except Exception as e:
        return Outcome("failed", "hvp", "first derivative raised " + describe(e), notes=notes)
    analytic = sum(inner(h, v) for h, v in zip(hw, case.directions))
    scale = math.sqrt(sum(inner(h, h) for h in hw))
    try:
        verdict, detail = fd_verdict(psi, psi0, analytic, scale, steps=(1e-5, 1e-6, 1e-4, 1e-3))
    except Exception as e:
        return Outcome("failed", "hvp", "first derivative raised " + describe(e), notes=notes)
    if verdict in ("nonfinite", "unresolved"):
        notes.append(f"second_order_{verdict}")
    elif verdict == "nonsmooth":
        notes.append("second_order_nonsmooth")
    elif verdict == "fail":
        return Outcome("failed", "hvp", detail, notes=notes)
    return None
