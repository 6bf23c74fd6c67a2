"""The compiler, stage by stage — the one file that shows the whole pipeline:

    f ─parse─▶ gast ─canonicalize─▶ ─lower─▶ ir.Function (SSA) ─activity─▶
      ─reverse_mode─▶ adjoint ─simplify (copy propagation · unbroadcast elision · dce · cse, to a fixed point)─▶
      ─tape_shapes_only · write_in_place─▶
      ─codegen─▶ source
"""

from __future__ import annotations

import difflib
import operator
from dataclasses import dataclass
from typing import Any

from .analyses.activity import compute_activity
from .backend.codegen import Generated, generate
from .frontend.lower import inline_rule, lower_function
from .frontend.source import parse_function, unwrap
from .ir import Function, Value
from .ir.builder import Builder
from .ir.printer import print_function
from .ir.verifier import verify
from .optimize.copy_propagation import CopyPropagation
from .optimize.cse import CommonSubexpressionElimination
from .optimize.dce import DeadCodeElimination
from .optimize.elide_unbroadcast import ElideUnbroadcast
from .optimize.exit_guards import FoldExitGuards
from .optimize.number_checks import DropNumberChecks
from .optimize.number_zeros import ZerosOfNumbers
from .optimize.passes import run_pass, run_to_fixed_point, verify_enabled
from .optimize.shape_witness import ShapeWitness
from .optimize.write_in_place import WriteInPlace
from .rules import load_builtin_rules
from .transforms.forward_mode import jvp_ir
from .transforms.reverse_mode import differentiate_ir
from .transforms.tape_shapes import TapeShapesOnly

SIMPLIFY = (CopyPropagation(), ElideUnbroadcast(), ShapeWitness(), ZerosOfNumbers(), FoldExitGuards(),
            DeadCodeElimination(), CommonSubexpressionElimination())

load_builtin_rules()


@dataclass(frozen=True)
class Options:
    """What to differentiate, normalised (see api.py for the checks)."""

    wrt: tuple = (0,)
    single: bool = True
    stop_gradients: tuple = ()
    unconnected_gradients: str = "none"
    optimize: bool = True
    with_value: bool = False
    has_aux: bool = False
    mode: str = "reverse"
    """'reverse' (the adjoint, `grad`) or 'forward' (the tangent function, `jvp`)."""
    specialised: tuple | None = None
    """Per parameter, the kind of scalar the calls this adjoint serves pass (`arguments.scalar_kinds`),
    or None: the generic adjoint, for any arguments."""


def lower(fn: Any, options: Options | None = None) -> tuple[Function, dict]:
    names = () if options is None else (*options.wrt, *options.stop_gradients)
    primal, bindings = lower_function(fn, frozenset(n for n in names if isinstance(n, str)))
    run_pass(DropNumberChecks(), primal)
    if verify_enabled():
        verify(primal)
    return primal, bindings


def _name_value(fn: Any, primal: Function, bindings: dict, name: str, option: str) -> Any:
    qualname = getattr(unwrap(fn), "__qualname__", "the function")
    if name in primal.params:
        return primal.body.args[primal.params.index(name)]
    found = bindings.get(name)
    if not found:
        close = difflib.get_close_matches(name, [*primal.params, *bindings], n=1) or \
            [p for p in [*primal.params, *bindings] if p.lower() == name.lower()]
        guess = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{option}={name!r} names nothing in {qualname}: it has no parameter or local of that "
                         f"name{guess} (its parameters: {', '.join(primal.params)})")
    if len(found) > 1:
        raise ValueError(f"{option}={name!r}: the local {name!r} of {qualname} is assigned {len(found)} times; "
                         f"differentiate with respect to a local assigned exactly once, outside any loop or branch")
    value, at_top = found[0]
    if not at_top:
        raise ValueError(f"{option}={name!r}: the local {name!r} of {qualname} is assigned inside a loop or branch; "
                         f"use a local assigned once at the top level of the function")
    return value


def resolve_wrt(fn: Any, primal: Function, bindings: dict, options: Options) -> list:
    values = []
    for entry in options.wrt:
        if isinstance(entry, int):
            if not -len(primal.params) <= entry < len(primal.params):
                qualname = getattr(unwrap(fn), "__qualname__", "the function")
                raise ValueError(f"wrt={entry} is out of range: {qualname} has {len(primal.params)} parameters")
            values.append(primal.body.args[entry])
        else:
            values.append(_name_value(fn, primal, bindings, entry, "wrt"))
    return values


def differentiate(fn: Any, options: Options, *, stop_after: str | None = None) -> tuple[Generated | None, str]:
    """Compile the adjoint of `fn`; returns the generated code and the IR text of the last stage run."""
    primal, bindings = lower(fn, options)
    dependencies = [path for path, _ in primal.dependencies]
    repeated = sequence_operands(primal)
    if stop_after == "lower":
        return None, print_function(primal)
    wrt = resolve_wrt(fn, primal, bindings, options)
    stopped = {id(_name_value(fn, primal, bindings, n, "stop_gradients")) for n in options.stop_gradients}
    sources = [v for v in wrt if isinstance(v, Value)]
    activity = compute_activity(primal, sources, {s for s in stopped})
    wrt_values = [v if isinstance(v, Value) else Value("const") for v in wrt]
    if options.mode == "forward":
        adjoint = jvp_ir(primal, wrt_values, activity, _inline_user_rule)
    else:
        adjoint = differentiate_ir(primal, wrt_values, stopped, activity, _inline_user_rule,
                                   unconnected=options.unconnected_gradients, with_value=options.with_value,
                                   single=options.single, has_aux=options.has_aux)
    _specialise(primal, adjoint, options)
    check = verify_enabled()
    if check:
        verify(adjoint)
    if options.optimize:
        run_to_fixed_point(SIMPLIFY, adjoint, check=check)
        run_pass(TapeShapesOnly(), adjoint, check=check)
        if run_pass(WriteInPlace(), adjoint, check=check):
            run_pass(DeadCodeElimination(), adjoint, check=check)
    ir_text = print_function(adjoint)
    if stop_after == "reverse":
        return None, ir_text
    generated = generate(adjoint, parse_function(fn).file)
    generated.dependencies = dependencies
    generated.repeated = repeated
    return generated, ir_text


def _specialise(primal: Function, adjoint: Function, options: Options) -> None:
    """Tell the optimiser what a specialised adjoint's parameters are (`Options.specialised`):
    which are scalars (between those, `unbroadcast` returns its cotangent as it is, whatever the
    dtypes, so dropping it changes no number), and which are Python floats (`Function.numbers`).
    Only after the reverse transform: the seed keeps the generic adjoint's (its dtype decides the
    precision the reverse sweep computes in)."""
    kinds = options.specialised
    if not kinds or options.mode != "reverse" or len(kinds) != len(primal.params):
        return
    adjoint.scalars = [arg for arg, kind in zip(primal.body.args, kinds) if kind]
    adjoint.numbers = [arg for arg, kind in zip(primal.body.args, kinds) if kind == "float"]


def sequence_operands(primal: Function) -> list[str]:
    """The parameters an `+` or `*` takes as they come (`x * i`): on a list or tuple, Python
    concatenates or repeats where the gradient's rules add and scale."""
    params = {id(arg): name for name, arg in zip(primal.params, primal.body.args)}
    return sorted({params[id(a)] for op in primal.walk() if op.kind == "call" and op.fn in (operator.add, operator.mul)
                   for a in op.args if isinstance(a, Value) and id(a) in params})


def _inline_user_rule(rule: Any, builder: Builder, args: list, kwargs: dict) -> list:
    name = getattr(rule, "__qualname__", "rule")
    return inline_rule(rule, (f"@rule:{name}",), builder, args, kwargs)
