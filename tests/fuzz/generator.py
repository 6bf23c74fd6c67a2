"""Seeded random Python + NumPy programs for srcgrad to differentiate.

`generate(seed)` returns a `Program`: the text of a module defining `def f(x0, x1, ...)`
(plus module-level helpers and constants), which inputs to differentiate, how to draw
the inputs, and the set of constructs the program uses (for the coverage report).

Programs are well typed by construction: every value is a float64 array (or a Python /
NumPy float) of one of the shapes in `SHAPES`, which all broadcast with one another, and
the generator tracks each name's shape, a bound on its magnitude (to keep `exp`, powers
and products in range), whether it may be a Python float (no methods, no indexing) and
whether it owns its memory (only such arrays are written into, unless in aliasing mode).
Arguments of `log`/`sqrt` are made positive (`np.log(1.0 + v ** 2)`), `exp` sees bounded
values, and divisions are by `1.0 + v ** 2`, so programs are smooth except at measure-zero
kinks (branch thresholds, `maximum`, `abs`, `clip`), which the oracles detect and drop.

`aliasing=True` adds statements whose meaning depends on Python's aliasing: views of an
array that is then written into, writes through views and through other names, rows of
an array written in a `for row in X` loop, lists and tuples holding an array that is
then updated in place, and writes into the caller's arguments.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SHAPES: list[tuple[int, ...]] = [(), (3,), (1, 3), (2, 1), (2, 3)]
LIMIT = 40.0  # bound above which a value is squashed before it is used again


def bcast(a: tuple, b: tuple) -> tuple:
    return tuple(np.broadcast_shapes(a, b))


def fits(value: tuple, target: tuple) -> bool:
    """`value` broadcasts into `target` without changing it (a valid in-place operand)."""
    if len(value) > len(target):
        return False
    try:
        return bcast(value, target) == target
    except ValueError:
        return False


def shape_code(shape: tuple) -> str:
    return repr(tuple(shape))


# Reductions whose results stay in SHAPES: (shape, axis arguments, result shape).
REDUCTIONS: dict[tuple, list[tuple[str, tuple]]] = {
    (): [("", ())],
    (3,): [("", ()), ("axis=0", ()), ("axis=-1", ())],
    (1, 3): [("", ()), ("axis=0", (3,)), ("axis=(0, 1)", ())],
    (2, 1): [("", ()), ("axis=(0, 1)", ())],
    (2, 3): [("", ()), ("axis=0", (3,)), ("axis=1, keepdims=True", (2, 1)),
             ("axis=0, keepdims=True", (1, 3)), ("axis=-1, keepdims=True", (2, 1)), ("axis=(0, 1)", ())],
}

# Subscripts whose results stay in SHAPES: (shape, subscript, result shape, construct).
SUBSCRIPTS: dict[tuple, list[tuple[str, tuple, str]]] = {
    (3,): [("[1]", (), "index"), ("[-1]", (), "index"), ("[::-1]", (3,), "slice"), ("[[2, 0, 1]]", (3,), "fancy"),
           ("[[0, 2, 2]]", (3,), "fancy"), ("[None, :]", (1, 3), "slice"), ("[np.newaxis]", (1, 3), "slice"),
           ("[...]", (3,), "slice"), (".reshape(1, 3)", (1, 3), "reshape"), (".reshape(1, -1)", (1, 3), "reshape")],
    (1, 3): [("[0]", (3,), "index"), ("[0, 1]", (), "index"), ("[..., ::-1]", (1, 3), "slice"), ("[:, [1, 2, 0]]", (1, 3), "fancy"),
             ("[-1, :]", (3,), "index"), (".reshape(3)", (3,), "reshape"), (".ravel()", (3,), "reshape"), (".T.T", (1, 3), "reshape")],
    (2, 1): [("[1, 0]", (), "index"), ("[:, 0:1]", (2, 1), "slice"), ("[::-1]", (2, 1), "slice"), ("[[1, 0]]", (2, 1), "fancy"),
             (".reshape(1, 2).T", (2, 1), "reshape")],
    (2, 3): [("[0]", (3,), "index"), ("[1, 2]", (), "index"), ("[:, 1:2]", (2, 1), "slice"), ("[1:2]", (1, 3), "slice"),
             ("[:, ::-1]", (2, 3), "slice"), ("[::-1]", (2, 3), "slice"), ("[..., 0:1]", (2, 1), "slice"),
             ("[-1, :]", (3,), "index"), ("[:, [2, 0, 1]]", (2, 3), "fancy"), ("[1, :][None]", (1, 3), "slice"),
             ("[np.array([1, 0])]", (2, 3), "fancy"), (".reshape(3, 2).T", (2, 3), "reshape"),
             (".T[::-1].T", (2, 3), "reshape")],
}

# Item-write targets: (shape, subscript, shape of the written part).
WRITE_TARGETS: dict[tuple, list[tuple[str, tuple]]] = {
    (3,): [("[0]", ()), ("[1:]", (2,)), ("[::2]", (2,)), ("[-1]", ()), ("[[0, 2]]", (2,)), ("[...]", (3,))],
    (1, 3): [("[0]", (3,)), ("[0, 1]", ()), ("[:, 1:]", (1, 2)), ("[:, 0]", (1,))],
    (2, 1): [("[0]", (1,)), ("[1, 0]", ()), ("[1:]", (1, 1)), ("[:, 0]", (2,))],
    (2, 3): [("[0]", (3,)), ("[1:]", (1, 3)), ("[:, 1]", (2,)), ("[0, 1]", ()), ("[:, 1:2]", (2, 1)), ("[1, ::2]", (2,)),
             ("[..., -1]", (2,)), ("[[1, 0]]", (2, 3))],
}

CONSTANT_VALUES = ["0.5", "0.3", "-0.7", "1.2", "2.0", "0.25", "-1.1", "0.9", "1.5", "-0.4"]


@dataclass
class E:
    """An expression: its code, shape and a bound on its magnitude."""

    code: str
    shape: tuple
    bound: float
    pyfloat: bool = False  # may be a Python float: no methods, no subscripts
    fresh: bool = True  # a new value (not a view or another name for a variable's array)
    names: tuple = ()  # variables it is a view/alias of when not fresh


@dataclass
class Var:
    name: str
    shape: tuple
    bound: float
    pyfloat: bool
    owned: bool  # its array is its own: writing into it changes nothing else
    alias0d: bool = False  # a scalar that may be a 0-d array shared with another name


@dataclass
class Param:
    name: str
    shape: tuple
    kind: str  # "float" (Python float), "np64" (np.float64), "0d" (0-d array) or "array"


@dataclass
class Program:
    seed: int
    mode: str
    source: str
    params: list[Param]
    wrt: Any
    options: dict
    features: set
    outputs: list[tuple]

    @property
    def wrt_positions(self) -> list[int]:
        entries = (self.wrt,) if isinstance(self.wrt, (int, str)) else self.wrt
        names = [p.name for p in self.params]
        return [e if isinstance(e, int) else names.index(e) for e in entries]

    @property
    def single(self) -> bool:
        return isinstance(self.wrt, (int, str))

    def make_args(self, rng: np.random.Generator) -> tuple:
        return tuple(make_arg(rng, p) for p in self.params)


def make_arg(rng: np.random.Generator, p: Param) -> Any:
    value = np.clip(rng.standard_normal(p.shape), -2.5, 2.5)
    if p.kind == "float":
        return float(value)
    if p.kind == "np64":
        return np.float64(value)
    if p.kind == "0d":
        return np.asarray(value, dtype=np.float64)
    return np.asarray(value, dtype=np.float64)


_COUNTER = itertools.count()


def write_module(source: str, directory: Path, stem: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stem}_{next(_COUNTER)}.py"
    path.write_text(source, encoding="utf-8")
    return path


def import_path(path: Path) -> Any:
    """Import a module from a file (so srcgrad reads its source as it reads user code)."""
    name = path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def load(source: str, directory: Path, stem: str = "fuzzprog") -> Any:
    return import_path(write_module(source, directory, stem))


def _fmt(x: float) -> str:
    return repr(round(float(x), 2))


class _Gen:
    def __init__(self, seed: int, aliasing: bool, user_functions: list[str]):
        self.r = random.Random(seed)
        self.aliasing = aliasing
        self.user_functions = user_functions  # names of unary user functions available
        self.features: set[str] = set()
        self.names = itertools.count()
        self.env: dict[str, Var] = {}
        self.ints: dict[str, int] = {}  # loop counters: name -> largest value
        self.tuples: dict[str, list[E]] = {}
        self.lists: dict[str, list] = {}  # name -> [element shape, bound, max length]
        self.closures: dict[str, tuple] = {}  # name -> (param shape, result shape, bound)
        self.helpers: list[tuple] = []  # (name, [param shapes], [kw names], result shapes or shape, bound, pyfloat)
        self.constants: dict[str, tuple] = {}  # name -> shape
        self.module_lines: list[str] = []
        self.lines: list[str] = []
        self.indent = 1
        self.depth = 0
        self.loop: list[str] = []  # enclosing loop kinds
        self.returns: list[tuple] | None = None  # the function's output shapes (None in helpers)
        self.helper_result: Any = None
        self.in_helper = False
        self.stmt_budget = 0

    # --- small utilities --------------------------------------------------------------

    def fresh(self, prefix: str = "v") -> str:
        return f"{prefix}{next(self.names)}"

    def emit(self, text: str) -> None:
        self.lines.append("    " * self.indent + text)
        self.stmt_budget -= 1

    def const(self) -> str:
        return self.r.choice(CONSTANT_VALUES)

    def array_literal(self, shape: tuple) -> str:
        values = np.round(np.array([self.r.uniform(-1.0, 1.0) for _ in range(int(np.prod(shape, dtype=int)))]), 2)
        return f"np.array({values.reshape(shape).tolist()!r})"

    def global_const(self, shape: tuple) -> str:
        for name, s in self.constants.items():
            if s == shape and self.r.random() < 0.6:
                return name
        name = f"C{len(self.constants)}"
        if len(shape) == 2 and shape[0] == shape[1]:  # a well-conditioned matrix
            m = np.round(np.eye(shape[0]) * 0.6 + np.array([[self.r.uniform(-0.4, 0.4) for _ in range(shape[1])] for _ in range(shape[0])]), 2)
            text = f"np.array({m.tolist()!r})"
        else:
            text = self.array_literal(shape)
        self.module_lines.append(f"{name} = {text}")
        self.constants[name] = shape
        self.features.add("global_const")
        return name

    def float_vars(self, pred=None) -> list[Var]:
        return [v for v in self.env.values() if pred is None or pred(v)]

    def pick_var(self, pred=None, recent: bool = False) -> Var | None:
        vs = self.float_vars(pred)
        if not vs:
            return None
        if recent and self.r.random() < 0.6:
            return vs[-1 - min(len(vs) - 1, int(self.r.expovariate(1.0)))]
        return self.r.choice(vs)

    # --- expressions ------------------------------------------------------------------

    def leaf(self) -> E:
        r = self.r.random()
        if r < 0.72 and self.env:
            v = self.pick_var(recent=True)
            return E(v.name, v.shape, v.bound, v.pyfloat, fresh=False, names=(v.name,))
        if r < 0.8 and self.ints:
            name = self.r.choice(list(self.ints))
            self.features.add("loop_index_value")
            return E(f"({name} * {self.const()})", (), self.ints[name] * 2.0 + 0.1, pyfloat=True)
        if r < 0.88 and self.tuples:
            name = self.r.choice(list(self.tuples))
            k = self.r.randrange(len(self.tuples[name]))
            item = self.tuples[name][k]
            self.features.add("tuple_index")
            return E(f"{name}[{k}]", item.shape, item.bound, item.pyfloat, fresh=False, names=item.names)
        if r < 0.94:
            shape = self.r.choice(SHAPES[1:])
            return E(self.global_const(shape), shape, 1.0, fresh=False)
        return E(self.const(), (), 2.0, pyfloat=True)

    def squash(self, e: E) -> E:
        if e.bound <= LIMIT:
            return e
        return E(f"np.tanh({e.code})", e.shape, 1.0)

    def expr(self, depth: int) -> E:
        if depth <= 0 or self.r.random() < 0.2:
            return self.leaf()
        kinds = ["unary"] * 5 + ["binary"] * 5 + ["reduce"] * 2 + ["subscript"] * 2 + ["matmul"] + ["where"]
        if self.helpers:
            kinds += ["helper"] * 2
        if self.closures:
            kinds += ["closure"] * 4
        if self.lists:
            kinds += ["list"] * 2
        kinds += ["ifexp", "math", "builtin", "stack", "mask"]
        if self.user_functions:
            kinds += ["user"] * 3
        kind = self.r.choice(kinds)
        return getattr(self, "x_" + kind)(depth)

    def x_unary(self, depth: int) -> E:
        a = self.squash(self.expr(depth - 1))
        b = a.bound
        options = [
            ("np.sin({a})", 1.0, "sin"), ("np.cos({a})", 1.0, "cos"), ("np.tanh({a})", 1.0, "tanh"),
            ("np.exp(np.tanh({a}))", 2.72, "exp"), ("np.log(1.0 + {a} ** 2)", math.log1p(b * b), "log"),
            ("np.log1p(np.square({a}))", math.log1p(b * b), "log1p"), ("np.sqrt({a} ** 2 + 1.0)", math.sqrt(b * b + 1), "sqrt"),
            ("np.arctan({a})", 1.6, "arctan"), ("1.0 / (1.0 + {a} ** 2)", 1.0, "reciprocal"), ("(-{a})", b, "neg"),
            ("np.expm1(np.tanh({a}))", 1.8, "expm1"), ("np.clip({a}, -0.8, 0.9)", 0.9, "clip"),
            ("np.maximum({a}, 0.1)", max(b, 0.1), "maximum"), ("np.minimum({a}, 0.4)", b, "minimum"),
            ("(1.0 / (1.0 + np.exp(-np.tanh({a}))))", 1.0, "sigmoid"), ("np.abs({a})", b, "abs"),
            ("np.cbrt({a} ** 2 + 1.0)", (b * b + 1) ** (1 / 3), "cbrt"), ("np.sinc(np.tanh({a}))", 1.0, "sinc"),
        ]
        if b <= 3:
            options += [("np.exp({a})", math.exp(b), "exp"), ("np.sinh({a})", math.sinh(b), "sinh"),
                        ("np.cosh({a})", math.cosh(b), "cosh")]
        if b <= 6:
            options += [("{a} ** 2", b * b, "power"), ("np.square({a})", b * b, "square"),
                        ("{a} ** 3", b ** 3, "power")]
        template, bound, tag = self.r.choice(options)
        self.features.add("ufunc")
        if tag in ("maximum", "minimum", "clip", "abs"):
            self.features.add("kink")
        return E(template.format(a=f"({a.code})"), a.shape, bound)

    def x_binary(self, depth: int) -> E:
        a = self.squash(self.expr(depth - 1))
        b = self.squash(self.expr(depth - 1))
        shape = bcast(a.shape, b.shape)
        ba, bb = a.bound, b.bound
        A, B = f"({a.code})", f"({b.code})"
        options = [
            (f"({A} + {B})", ba + bb, None), (f"({A} - {B})", ba + bb, None),
            (f"({A} / (1.0 + {B} ** 2))", ba, None), (f"np.logaddexp({A}, {B})", max(ba, bb) + 0.7, "logaddexp"),
            (f"np.arctan2({A}, 1.0 + {B} ** 2)", 1.6, "arctan2"), (f"np.hypot({A}, 1.0 + {B} ** 2)", ba + 1 + bb * bb, "hypot"),
            (f"np.maximum({A}, {B} + 0.05)", max(ba, bb + 0.05), "maximum"), (f"np.minimum({A}, {B} - 0.05)", max(ba, bb + 0.05), "minimum"),
            (f"(1.0 + {A} ** 2) ** np.tanh({B})", 1 + ba * ba, "power"), (f"np.add({A}, {B})", ba + bb, None),
            (f"np.subtract({A}, np.sin({B}))", ba + 1, None),
        ]
        if ba * bb <= LIMIT:
            options += [(f"({A} * {B})", ba * bb, None)] * 3 + [(f"np.multiply({A}, {B})", ba * bb, None)]
        code, bound, tag = self.r.choice(options)
        pyf = a.pyfloat and b.pyfloat and code.startswith("((")
        if tag in ("maximum", "minimum"):
            self.features.add("kink")
            self.features.add("maximum")
        return E(code, shape, bound, pyfloat=pyf)

    def reduce(self, a: E, to_scalar: bool = False, target: tuple | None = None) -> E:
        """A reduction of `a` (to a shape fitting `target`, or to a scalar)."""
        choices = REDUCTIONS[a.shape]
        if target is not None:
            choices = [c for c in choices if fits(c[1], target)]
        if to_scalar:
            choices = [c for c in choices if c[1] == ()]
        axis, result = self.r.choice(choices)
        n = int(np.prod(a.shape, dtype=int)) // max(1, int(np.prod(result, dtype=int)))
        funcs = [("sum", a.bound * n), ("mean", a.bound), ("max", a.bound), ("min", a.bound), ("var", a.bound ** 2)]
        if a.bound <= 1.5 or n == 1:
            funcs.append(("prod", a.bound ** n))
        name, bound = self.r.choice(funcs)
        if name in ("max", "min"):
            self.features.add("reduce_max")
        if axis:
            self.features.add("reduction_axis")
        self.features.add("reduction")
        if self.r.random() < 0.3 and not a.pyfloat and a.shape != ():
            code = f"({a.code}).{name}({axis})"
        else:
            code = f"np.{name}({a.code}{', ' + axis if axis else ''})"
        return E(code, result, bound)

    def x_reduce(self, depth: int) -> E:
        return self.reduce(self.squash(self.expr(depth - 1)))

    def carry(self, e: E) -> E:
        """In a loop, what is added to or multiplied into carried state stays in [-1, 1]."""
        if self.loop and e.bound > 1.0:
            return E(f"np.tanh({e.code})", e.shape, 1.0)
        return e

    def fit(self, e: E, target: tuple) -> E:
        """`e`, reduced where needed so that it broadcasts into `target`."""
        if fits(e.shape, target):
            return e
        return self.reduce(self.squash(e), target=target)

    def exact(self, shape: tuple, depth: int = 2) -> E:
        """An expression of exactly `shape`."""
        if self.r.random() < 0.5:
            v = self.pick_var(lambda v: v.shape == shape)
            if v is not None:
                return E(v.name, v.shape, v.bound, v.pyfloat, fresh=False, names=(v.name,))
        for _ in range(4):
            e = self.squash(self.expr(depth))
            if e.shape == shape:
                return e
        e = self.fit(e, shape)
        if e.shape == shape:
            return e
        return E(f"({e.code} + np.zeros({shape_code(shape)}))", shape, e.bound)

    def x_subscript(self, depth: int) -> E:
        a = self.squash(self.expr(depth - 1))
        if a.pyfloat or a.shape == ():
            v = self.pick_var(lambda v: v.shape != () and not v.pyfloat)
            if v is None:
                return a
            a = E(v.name, v.shape, v.bound, fresh=False, names=(v.name,))
        options = list(SUBSCRIPTS[a.shape])
        for name, top in self.ints.items():
            if top < a.shape[0] and a.shape[1:] in SHAPES:
                options.append((f"[{name}]", a.shape[1:], "loop_index"))
        sub, shape, tag = self.r.choice(options)
        self.features.add("subscript")
        self.features.add(tag)
        code = f"{a.code}{sub}" if a.code.isidentifier() else f"({a.code}){sub}"
        return E(code, shape, a.bound, fresh=tag in ("fancy",) or shape == (), names=a.names)

    def x_mask(self, depth: int) -> E:
        a = self.squash(self.expr(depth - 1))
        if a.pyfloat or a.shape == ():
            v = self.pick_var(lambda v: v.shape != () and not v.pyfloat)
            if v is None:
                return a
            a = E(v.name, v.shape, v.bound, fresh=False, names=(v.name,))
        self.features.add("mask")
        t = _fmt(self.r.uniform(-0.5, 0.5))
        if self.r.random() < 0.5:
            return E(f"np.sum({a.code}[{a.code} > {t}])" if a.code.isidentifier() else f"np.sum(({a.code})[({a.code}) > {t}])",
                     (), a.bound * 6)
        b = self.fit(self.squash(self.expr(depth - 1)), a.shape)
        self.features.add("where")
        return E(f"np.where(({a.code}) > {t}, {a.code}, {b.code})", a.shape, max(a.bound, b.bound))

    def x_where(self, depth: int) -> E:
        a = self.squash(self.expr(depth - 1))
        b = self.squash(self.expr(depth - 1))
        c = self.squash(self.expr(depth - 1))
        self.features.add("where")
        shape = bcast(bcast(a.shape, b.shape), c.shape)
        return E(f"np.where(({c.code}) > {_fmt(self.r.uniform(-0.5, 0.5))}, {a.code}, {b.code})", shape, max(a.bound, b.bound))

    def x_matmul(self, depth: int) -> E:
        r = self.r.random()
        if r < 0.45:
            a = self.squash(self.expr(depth - 1))
            if a.shape == () or a.pyfloat:
                v = self.pick_var(lambda v: v.shape != () and not v.pyfloat)
                if v is None:
                    return a
                a = E(v.name, v.shape, v.bound, fresh=False)
            n = a.shape[-1]
            W = self.global_const((n, n))
            self.features.add("matmul")
            form = self.r.choice(["{a} @ {W}", "np.dot({a}, {W})", "np.matmul({a}, {W})", "({a}).dot({W})"])
            return E(form.format(a=f"({a.code})", W=W), a.shape, a.bound * n)
        if r < 0.7:
            a, b = self.exact((3,), depth - 1), self.exact((3,), depth - 1)
            self.features.add("matmul")
            form = self.r.choice(["({a} @ {b})", "np.dot({a}, {b})", "np.inner({a}, {b})", "np.vdot({a}, {b})"])
            return E(form.format(a=f"({a.code})", b=f"({b.code})"), (), a.bound * b.bound * 3)
        self.features.add("einsum")
        choice = self.r.randrange(6)
        if choice == 5:
            a, b, c = (self.squash(self.exact((2, 3), depth - 1)) for _ in range(3))
            self.features.add("transpose")
            return E(f"(({c.code}) @ (({a.code}).T @ ({b.code})))", (2, 3), a.bound * b.bound * c.bound * 6)
        if choice == 0:
            a, b = self.exact((2, 3), depth - 1), self.exact((2, 3), depth - 1)
            return E(f"np.einsum('ij,ij->', {a.code}, {b.code})", (), a.bound * b.bound * 6)
        if choice == 1:
            a = self.exact((2, 3), depth - 1)
            return E(f"np.einsum('ij->j', {a.code})", (3,), a.bound * 2)
        if choice == 2:
            a = self.exact((2, 3), depth - 1)
            return E(f"np.einsum('ij,jk->ik', {a.code}, {self.global_const((3, 3))})", (2, 3), a.bound * 3)
        if choice == 3:
            a, b = self.exact((3,), depth - 1), self.exact((3,), depth - 1)
            return E(f"np.einsum('i,i->', {a.code}, {b.code})", (), a.bound * b.bound * 3)
        a, b, c = (self.squash(self.exact((2, 3), depth - 1)) for _ in range(3))
        return E(f"(np.einsum('ij,kj->ik', {a.code}, {b.code}) @ ({c.code}))", (2, 3), a.bound * b.bound * c.bound * 6)

    def x_ifexp(self, depth: int) -> E:
        a = self.squash(self.expr(depth - 1))
        b = self.exact(a.shape, depth - 1)
        self.features.add("ifexp")
        return E(f"({a.code} if {self.cond(depth - 1)} else {b.code})", a.shape, max(a.bound, b.bound),
                 pyfloat=a.pyfloat or b.pyfloat, fresh=a.fresh and b.fresh, names=a.names + b.names)

    def x_math(self, depth: int) -> E:
        a = self.squash(self.fit(self.expr(depth - 1), ()))
        self.features.add("math")
        options = ["math.sin({a})", "math.cos({a})", "math.tanh({a})", "math.exp(math.tanh({a}))",
                   "math.log(1.0 + {a} ** 2)", "math.sqrt({a} ** 2 + 1.0)", "math.atan({a})"]
        return E(self.r.choice(options).format(a=f"({a.code})"), (), 2.72, pyfloat=True)

    def x_builtin(self, depth: int) -> E:
        a = self.squash(self.fit(self.expr(depth - 1), ()))
        b = self.squash(self.fit(self.expr(depth - 1), ()))
        self.features.add("builtin")
        k = self.r.randrange(4)
        if k == 0:
            return E(f"abs({a.code})", (), a.bound, pyfloat=a.pyfloat)
        if k == 1:
            return E(f"max({a.code}, {b.code} + 0.05)", (), max(a.bound, b.bound) + 0.05, pyfloat=a.pyfloat and b.pyfloat)
        if k == 2:
            return E(f"min({a.code}, {b.code} - 0.05)", (), max(a.bound, b.bound) + 0.05, pyfloat=a.pyfloat and b.pyfloat)
        if a.bound <= 6:
            return E(f"pow({a.code}, 2)", (), a.bound ** 2, pyfloat=a.pyfloat)
        return a

    def x_stack(self, depth: int) -> E:
        if self.r.random() < 0.5:
            items = [self.squash(self.exact((), depth - 1)) for _ in range(3)]
            self.features.add("list_literal")
            return E(f"np.stack([{', '.join(i.code for i in items)}])", (3,), max(i.bound for i in items))
        k = self.r.choice([1, 2])
        items = [self.squash(self.exact((3,), depth - 1)) for _ in range(k)]
        self.features.add("list_literal")
        return E(f"np.stack([{', '.join(i.code for i in items)}])", (k, 3), max(i.bound for i in items))

    def x_list(self, depth: int) -> E:
        name = self.r.choice(list(self.lists))
        shape, bound, maxlen = self.lists[name]
        self.features.add("list_use")
        k = self.r.randrange(5)
        if k == 0:
            return E(f"{name}[-1]", shape, bound, pyfloat=shape == (), fresh=False, names=())
        if k == 1:
            return E(f"{name}[0]", shape, bound, pyfloat=shape == (), fresh=False, names=())
        if k == 2:
            return E(f"np.sum(np.stack({name}))", (), bound * maxlen * max(1, int(np.prod(shape, dtype=int))))
        if k == 3:
            return E(f"sum({name})", shape, bound * maxlen, pyfloat=shape == ())
        return E(f"np.mean(np.stack({name}), axis=0)", shape, bound)

    def x_helper(self, depth: int) -> E:
        name, shapes, kws, result, bound, pyf = self.r.choice(self.helpers)
        arg_exprs = [self.squash(self.exact(s, depth - 1)) for s in shapes]
        args = [a.code for a in arg_exprs]
        names = tuple(n for a in arg_exprs for n in a.names)
        self.features.add("helper_call")
        call_args = list(args)
        if kws and self.r.random() < 0.6:
            self.features.add("keyword_arg")
            call_args.append(f"{kws[0]}={self.squash(self.fit(self.expr(depth - 1), ())).code}")
        elif self.r.random() < 0.25:
            self.features.add("keyword_arg")
            call_args = [f"a{i}={a}" for i, a in enumerate(args)]
        call = f"{name}({', '.join(call_args)})"
        if isinstance(result, list):  # a tuple result
            k = self.r.randrange(len(result))
            self.features.add("tuple_index")
            return E(f"{call}[{k}]", result[k], bound, pyfloat=True, fresh=False, names=names)
        return E(call, result, bound, pyfloat=pyf, fresh=False, names=names)

    def x_closure(self, depth: int) -> E:
        name = self.r.choice(list(self.closures))
        shape, result, bound = self.closures[name]
        arg = self.squash(self.exact(shape, depth - 1))
        self.features.add("closure_call")
        return E(f"{name}({arg.code})", result, bound, pyfloat=True)

    def x_user(self, depth: int) -> E:
        a = self.squash(self.expr(depth - 1))
        self.features.add("user_function")
        return E(f"{self.r.choice(self.user_functions)}({a.code})", a.shape, 1.0)

    def cond(self, depth: int = 1) -> str:
        r = self.r.random()
        self.features.add("data_condition")
        e = self.squash(self.expr(max(depth, 1)))
        c = _fmt(self.r.uniform(-1.0, 1.0))
        op = self.r.choice([">", "<", ">=", "<="])
        if r < 0.35:
            text = f"np.sum({e.code}) {op} {c}"
        elif r < 0.55:
            text = f"np.mean({e.code}) {op} {c}"
        elif r < 0.7:
            text = f"np.max({e.code}) {op} {c}"
        else:
            text = f"{self.fit(e, ()).code} {op} {c}"
        if self.r.random() < 0.15:
            self.features.add("bool_op")
            other = f"np.min({self.squash(self.expr(1)).code}) < {_fmt(self.r.uniform(-1.0, 1.0))}"
            text = f"{text} {self.r.choice(['and', 'or'])} {other}"
        elif self.r.random() < 0.07:
            self.features.add("bool_op")
            text = f"not ({text})"
        return text

    # --- statements -------------------------------------------------------------------

    def bind(self, name: str, e: E) -> None:
        owned = e.fresh and not e.pyfloat and e.shape != ()
        if not e.fresh and not self.aliasing:
            for n in e.names:
                if n in self.env:
                    self.env[n].owned = False
        self.env.pop(name, None)
        self.env[name] = Var(name, e.shape, e.bound, e.pyfloat or e.shape == (), owned, e.shape == () and not e.fresh)

    def share(self, e: E) -> None:
        """`e` is now held by a container or another name: what it aliases is not owned."""
        if not self.aliasing:
            for n in e.names:
                if n in self.env:
                    self.env[n].owned = False

    def s_assign(self) -> None:
        e = self.expr(self.r.choice([1, 2, 2, 3]))
        name = self.fresh()
        self.emit(f"{name} = {e.code}")
        self.bind(name, e)

    def s_update(self) -> None:
        v = self.pick_var(recent=True)
        if v is None:
            return self.s_assign()
        e = self.carry(self.squash(self.fit(self.expr(self.r.choice([1, 2])), v.shape)))
        templates = [("{v} + {e}", v.bound + e.bound), ("np.tanh({v} + {e})", 1.0), ("0.5 * {v} + np.sin({e})", 0.5 * v.bound + 1),
                     ("{v} * np.cos({e})", v.bound), ("{v} - 0.3 * {e}", v.bound + 0.3 * e.bound)]
        if v.bound * e.bound <= LIMIT:
            templates.append(("{v} * {e}", v.bound * e.bound))
        t, bound = self.r.choice(templates)
        if v.bound > LIMIT:
            t, bound = "np.tanh({v}) + {e}", 1 + e.bound
        self.emit(f"{v.name} = {t.format(v=v.name, e=f'({e.code})')}")
        v.bound = bound
        v.owned = v.shape != ()
        v.pyfloat = v.shape == ()
        v.alias0d = False

    def s_augassign(self) -> None:
        v = self.pick_var(lambda v: v.owned or (v.pyfloat and not v.alias0d) or self.aliasing, recent=True)
        if v is None:
            return self.s_assign()
        e = self.carry(self.squash(self.fit(self.expr(self.r.choice([1, 2])), v.shape)))
        self.features.add("aug_assign")
        if v.bound > LIMIT:
            self.emit(f"{v.name} *= 0.01")
            v.bound *= 0.01
            return
        op = self.r.choice(["+=", "-=", "*=", "/="])
        if op == "*=" and v.bound * e.bound > LIMIT:
            op = "+="
        if op == "/=":
            self.emit(f"{v.name} /= 1.0 + ({e.code}) ** 2")
        else:
            self.emit(f"{v.name} {op} {e.code}")
            v.bound = v.bound * e.bound if op == "*=" else v.bound + e.bound

    def s_copy_write(self) -> None:
        src = self.pick_var(lambda v: v.shape != () and not v.pyfloat)
        if src is None:
            src_e = self.exact(self.r.choice(SHAPES[1:]))
        else:
            src_e = E(src.name, src.shape, src.bound)
        name = self.fresh("y")
        form = self.r.choice(["{a}.copy()", "np.copy({a})", "{a} * 1.0", "np.array({a})", "{a} + 0.0"])
        code = src_e.code if src_e.code.isidentifier() else f"({src_e.code})"
        self.emit(f"{name} = {form.format(a=code)}")
        self.env[name] = Var(name, src_e.shape, src_e.bound, False, True)
        self.features.add("copy")
        for _ in range(self.r.choice([1, 1, 2, 3])):
            self.s_item_write(self.env[name])

    def s_item_write(self, v: Var | None = None) -> None:
        if v is None:
            v = self.pick_var(lambda v: v.shape != () and not v.pyfloat and (v.owned or self.aliasing), recent=True)
            if v is None:
                return self.s_copy_write()
        targets = list(WRITE_TARGETS[v.shape])
        for name, top in self.ints.items():
            if top < v.shape[0]:
                targets.append((f"[{name}]", v.shape[1:]))
        self.features.add("item_write")
        if self.r.random() < 0.25:
            self.features.add("mask")
            self.features.add("mask_write")
            t = _fmt(self.r.uniform(-0.5, 0.5))
            if self.r.random() < 0.5:
                mask = self.fresh("m")
                self.emit(f"{mask} = {v.name} > {t}")
                index = f"[{mask}]"
            else:
                index = f"[{v.name} < {t}]"
            k = self.r.randrange(3)
            if k == 0:
                self.emit(f"{v.name}{index} *= 0.5")
            elif k == 1:
                self.emit(f"{v.name}{index} = {self.carry(self.squash(self.fit(self.expr(1), ()))).code}")
            else:
                self.emit(f"{v.name}{index} += {self.carry(self.squash(self.fit(self.expr(1), ()))).code}")
            v.bound += 2.72
            return
        index, shape = self.r.choice(targets)
        e = self.carry(self.squash(self.fit(self.expr(self.r.choice([1, 2])), shape)))
        op = self.r.choice(["=", "=", "+=", "-=", "*="])
        if op == "*=" and e.bound * v.bound > LIMIT:
            op = "+="
        self.emit(f"{v.name}{index} {op} {e.code}")
        v.bound = v.bound * max(1.0, e.bound) if op == "*=" else v.bound + e.bound

    def block(self, body, n: int, trips: int = 1) -> None:
        """A nested block of about `n` statements; its new names end with it."""
        saved_env = {k: Var(**vars(v)) for k, v in self.env.items()}
        saved = (dict(self.ints), dict(self.tuples), dict(self.closures))
        saved_lists = {k: list(v) for k, v in self.lists.items()}
        self.indent += 1
        self.depth += 1
        start = len(self.lines)
        body(n)
        if len(self.lines) == start:
            self.emit("pass")
        self.indent -= 1
        self.depth -= 1
        new_env = {}
        for k, old in saved_env.items():
            cur = self.env.get(k, old)
            bound = old.bound + max(0.0, cur.bound - old.bound) * trips
            new_env[k] = Var(k, old.shape, bound, old.pyfloat or cur.pyfloat, old.owned and cur.owned,
                             old.alias0d or cur.alias0d)
        self.env = new_env
        self.ints, self.tuples, self.closures = saved
        for k, v in saved_lists.items():
            if k in self.lists:
                v[1] = max(v[1], self.lists[k][1])
                v[2] = max(v[2], self.lists[k][2])
        self.lists = saved_lists

    def statements(self, n: int) -> None:
        for _ in range(n):
            self.statement()

    def statement(self) -> None:
        kinds = ["assign"] * 4 + ["update"] * 3 + ["augassign"] * 2 + ["copy_write"] * 2 + ["item_write"] + ["tuple"]
        if self.depth < 2:
            kinds += ["if"] * 3 + ["for"] * 3 + ["while"] + ["list_loop"]
        if self.depth == 0 and not self.in_helper and len(self.closures) < 2:
            kinds += ["closure"] * 4
        if self.loop:
            kinds += ["update"] * 3 + ["break", "continue"]
        kinds += ["return"] if self.depth > 0 or self.r.random() < 0.3 else []
        if self.aliasing:
            kinds += ["alias"] * 6
        getattr(self, "s_" + self.r.choice(kinds))()

    def s_if(self) -> None:
        self.features.add("branch")
        self.emit(f"if {self.cond()}:")
        self.block(self.statements, self.r.choice([1, 2, 2, 3]))
        r = self.r.random()
        if r < 0.25:
            self.features.add("elif")
            self.emit(f"elif {self.cond()}:")
            self.block(self.statements, self.r.choice([1, 2]))
        if r < 0.7:
            self.emit("else:")
            self.block(self.statements, self.r.choice([1, 2]))

    def loop_body(self, n: int) -> None:
        # carried state: update something that exists before the loop first
        if self.env and self.r.random() < 0.8:
            self.s_update()
        self.statements(n)

    def s_for(self) -> None:
        self.features.add("loop")
        self.features.add("for")
        r = self.r.random()
        rows = self.pick_var(lambda v: len(v.shape) == 2 and v.shape[1:] in SHAPES and not v.pyfloat)
        if r < 0.6 or rows is None:
            n = self.r.choice([1, 2, 3, 4, 5])
            i = self.fresh("i")
            self.emit(f"for {i} in {'reversed(range(' + str(n) + '))' if self.r.random() < 0.2 else 'range(' + str(n) + ')'}:")
            self.ints[i] = n - 1
            self.trips = n
            kind = "range"
        elif r < 0.8:
            row = self.fresh("row")
            self.features.add("for_rows")
            self.emit(f"for {row} in {rows.name}:")
            rows.owned = False
            self.env[row] = Var(row, rows.shape[1:], rows.bound, False, False)
            self.trips = rows.shape[0]
            kind = "rows"
        else:
            k, row = self.fresh("k"), self.fresh("row")
            self.features.add("enumerate")
            self.emit(f"for {k}, {row} in enumerate({rows.name}):")
            rows.owned = False
            self.env[row] = Var(row, rows.shape[1:], rows.bound, False, False)
            self.ints[k] = rows.shape[0] - 1
            self.trips = rows.shape[0]
            kind = "rows"
        self.loop.append(kind)
        self.block(self.loop_body, self.r.choice([1, 2, 2, 3]), trips=self.trips)
        self.loop.pop()

    def s_while(self) -> None:
        self.features.add("loop")
        self.features.add("while")
        k = self.fresh("k")
        n = self.r.choice([2, 3, 4])
        self.emit(f"{k} = 0")
        self.emit(f"while {k} < {n} and ({self.cond()}):")
        self.loop.append("while")

        def body(m: int) -> None:
            self.emit(f"{k} += 1")
            self.loop_body(m)

        self.block(body, self.r.choice([1, 2, 2]), trips=n)
        self.loop.pop()

    def s_list_loop(self) -> None:
        shape = self.r.choice(SHAPES)
        name = self.fresh("xs")
        first = self.squash(self.exact(shape))
        self.emit(f"{name} = [{first.code}]")
        self.share(first)
        self.features.add("list")
        n = self.r.choice([1, 2, 3, 4])
        i = self.fresh("i")
        self.emit(f"for {i} in range({n}):")
        self.ints[i] = n - 1
        self.loop.append("range")
        self.lists[name] = [shape, first.bound, 1 + n]

        def body(m: int) -> None:
            self.loop_body(m - 1)
            item = self.squash(self.exact(shape))
            self.features.add("list_append")
            self.emit(f"{name}.append({item.code})")
            self.share(item)
            self.lists[name][1] = max(self.lists[name][1], item.bound)

        self.features.add("loop")
        self.features.add("for")
        self.block(body, self.r.choice([1, 2, 2]), trips=n)
        self.ints.pop(i, None)
        self.loop.pop()

    def s_tuple(self) -> None:
        a = self.squash(self.expr(2))
        b = self.squash(self.expr(2))
        self.features.add("tuple")
        r = self.r.random()
        if r < 0.4:
            name = self.fresh("t")
            self.emit(f"{name} = ({a.code}, {b.code})")
            self.tuples[name] = [a, b]
            self.share(a)
            self.share(b)
        elif r < 0.7:
            p, q = self.fresh(), self.fresh()
            self.features.add("unpack")
            self.emit(f"{p}, {q} = {a.code}, {b.code}")
            self.bind(p, a)
            self.bind(q, b)
        else:
            shape = self.r.choice(SHAPES)
            pair = [v for v in self.env.values() if v.shape == shape]
            if len(pair) >= 2:
                v, w = self.r.sample(pair, 2)
                self.features.add("unpack")
                self.emit(f"{v.name}, {w.name} = {w.name}, {v.name}")
                self.env[v.name], self.env[w.name] = (Var(v.name, w.shape, w.bound, w.pyfloat, False, w.alias0d),
                                                      Var(w.name, v.shape, v.bound, v.pyfloat, False, v.alias0d))
            else:
                self.s_assign()

    def s_closure(self) -> None:
        if not self.env:
            return self.s_assign()
        name = self.fresh("inner")
        shape = self.r.choice(SHAPES)
        z = self.fresh("z")
        saved_env = self.env
        self.emit(f"def {name}({z}):")
        self.indent += 1
        outer = dict(saved_env)
        inner_env = dict(outer)
        inner_env[z] = Var(z, shape, 2.5, shape == (), False, True)
        self.env = inner_env
        e = self.expr(2)
        e = self.squash(e)
        # make it read both the parameter and an outer local
        v = self.r.choice(list(outer.values()))
        e2 = self.fit(E(v.name, v.shape, v.bound, v.pyfloat), bcast(e.shape, shape))
        code = f"({e.code}) * np.tanh({z}) + np.sin({e2.code})"
        result = bcast(bcast(e.shape, shape), e2.shape)
        self.emit(f"return {code}")
        self.indent -= 1
        self.env = saved_env
        self.closures[name] = (shape, result, e.bound + 1)
        self.features.add("closure")

    def s_return(self) -> None:
        if self.in_helper:
            result = self.helper_result
            if isinstance(result, list):
                vals = ", ".join(self.squash(self.exact(s)).code for s in result)
            else:
                vals = self.squash(self.exact(result)).code
        else:
            vals = self.return_values()
        self.features.add("early_return")
        self.emit(f"if {self.cond()}:")
        self.indent += 1
        self.emit(f"return {vals}")
        self.indent -= 1

    def s_break(self) -> None:
        self.features.add("break")
        self.emit(f"if {self.cond()}:")
        self.indent += 1
        self.emit("break")
        self.indent -= 1

    def s_continue(self) -> None:
        self.features.add("continue")
        ints = [i for i in self.ints if i.startswith("i")]
        if ints and self.loop[-1] == "range" and self.r.random() < 0.5:
            self.emit(f"if {ints[-1]} % 2 == 0:")
        else:
            self.emit(f"if {self.cond()}:")
        self.indent += 1
        self.emit("continue")
        self.indent -= 1

    def s_alias(self) -> None:
        """Statements whose meaning depends on aliasing (aliasing mode only)."""
        self.features.add("alias")
        arrays = lambda v: v.shape != () and not v.pyfloat  # noqa: E731
        y = self.pick_var(lambda v: arrays(v) and v.owned, recent=True) or self.pick_var(arrays)
        if y is None:
            return self.s_copy_write()
        k = self.r.randrange(9)
        e = lambda shape: self.squash(self.fit(self.expr(1), shape))  # noqa: E731
        if k == 0:  # a view of y, then a write into y, then the view is read
            index, shape, _ = self.r.choice([s for s in SUBSCRIPTS.get(y.shape, []) if s[2] == "slice"] or [("[...]", y.shape, "slice")])
            view = self.fresh("view")
            self.emit(f"{view} = {y.name}{index}")
            target, tshape = self.r.choice(WRITE_TARGETS[y.shape])
            self.emit(self.r.choice([f"{y.name}{target} = {e(tshape).code}", f"{y.name} *= 2.0", f"{y.name} += {e(y.shape).code}"]))
            self.emit(f"{self.fresh()} = np.sum({view} * {view})")
            self.env[view] = Var(view, shape, y.bound * 3 + 3, False, False)
            self.features.add("view_then_write")
        elif k == 1:  # a write through a view, then the base is read
            index, shape, _ = self.r.choice([s for s in SUBSCRIPTS.get(y.shape, []) if s[2] in ("slice", "index") and s[1] != ()]
                                            or [("[...]", y.shape, "slice")])
            view = self.fresh("view")
            self.emit(f"{view} = {y.name}{index}")
            self.emit(self.r.choice([f"{view} += {e(shape).code}", f"{view} *= 0.5", f"{view}[...] = {e(shape).code}"]))
            self.emit(f"{self.fresh()} = np.sum({y.name} ** 2)")
            y.bound += 3
            self.env[view] = Var(view, shape, y.bound, False, False)
            self.features.add("write_through_view")
        elif k == 2:  # another name for the same array
            other = self.fresh("alias")
            self.emit(f"{other} = {y.name}")
            self.emit(self.r.choice([f"{other} += {e(y.shape).code}", f"{other}[...] *= 0.5"]))
            self.emit(f"{self.fresh()} = np.sum({y.name} * 1.5)")
            y.bound += 3
            self.env[other] = Var(other, y.shape, y.bound, False, False)
            self.features.add("name_alias")
        elif k == 3 and len(y.shape) == 2:  # rows written in a loop
            row = self.fresh("row")
            self.emit(f"for {row} in {y.name}:")
            self.indent += 1
            self.emit(self.r.choice([f"{row} += {e(y.shape[1:]).code}", f"{row} *= 0.9", f"{row}[0] = {e(()).code}"]))
            self.indent -= 1
            y.bound += 6
            self.features.add("row_write")
            self.features.add("loop")
            self.features.add("for")
        elif k == 4:  # a list holding the array, then an in-place update
            lst = self.fresh("xs")
            self.emit(f"{lst} = [{y.name}]")
            self.emit(f"{y.name} *= 1.5")
            self.emit(f"{self.fresh()} = np.sum({lst}[0])")
            self.features.add("list_alias")
            self.features.add("list")
            y.bound *= 1.5
        elif k == 5:  # a tuple holding the array
            t = self.fresh("t")
            self.emit(f"{t} = ({y.name}, 1.0)")
            self.emit(f"{y.name} += {e(y.shape).code}")
            self.emit(f"{self.fresh()} = np.sum({t}[0]) * {t}[1]")
            y.bound += 3
            self.features.add("tuple_alias")
        elif k == 6:  # a write into an argument
            params = [v for v in self.env.values() if v.name.startswith("x") and arrays(v)]
            p = self.r.choice(params) if params else y
            target, tshape = self.r.choice(WRITE_TARGETS[p.shape])
            self.emit(self.r.choice([f"{p.name}{target} = {e(tshape).code}", f"{p.name} *= 0.5", f"{p.name} += {e(p.shape).code}"]))
            p.bound += 3
            self.features.add("argument_write")
        elif k == 7:  # reshape / transpose views
            view = self.fresh("view")
            form, shape = self.r.choice([(f"{y.name}.reshape(-1)", (int(np.prod(y.shape)),)), (f"{y.name}.T", y.shape[::-1]),
                                         (f"{y.name}[:]", y.shape), (f"np.ravel({y.name})", (int(np.prod(y.shape)),))])
            self.emit(f"{view} = {form}")
            self.emit(f"{view}[0] = {e(shape[1:]).code}" if self.r.random() < 0.5 else f"{y.name}[...] += 1.0")
            self.emit(f"{self.fresh()} = np.sum({y.name}) + np.sum({view} ** 2)")
            y.bound += 3
            self.features.add("reshape_view")
        else:  # a closure reading an array that is then updated in place
            name = self.fresh("inner")
            self.emit(f"def {name}():")
            self.indent += 1
            self.emit(f"return np.sum(np.sin({y.name}))")
            self.indent -= 1
            self.emit(f"{y.name} *= 0.5")
            self.emit(f"{self.fresh()} = {name}() + np.sum({y.name})")
            self.features.add("closure_alias")
            self.features.add("closure")
        # whatever was written is unsafe to treat as owned from now on
        for n in list(self.env):
            if n.startswith(("view", "alias")):
                self.env[n].owned = False

    def return_values(self) -> str:
        vals = []
        for shape in self.returns:
            terms = []
            for _ in range(self.r.choice([1, 2, 3])):
                v = self.pick_var(recent=True)
                e = E(v.name, v.shape, v.bound, v.pyfloat) if v is not None and self.r.random() < 0.7 else self.expr(2)
                terms.append(self.fit(self.squash(e), shape))
            code = " + ".join(f"({t.code})" if len(terms) > 1 else t.code for t in terms)
            if bcast_all([t.shape for t in terms]) != shape:
                code = f"{code} + np.zeros({shape_code(shape)})"
            vals.append(code)
        return ", ".join(vals)

    # --- functions --------------------------------------------------------------------

    def helper(self, index: int) -> None:
        name = f"h{index}"
        shapes = [self.r.choice(SHAPES) for _ in range(self.r.choice([1, 1, 2]))]
        kws = ["scale"] if self.r.random() < 0.6 else []
        params = [f"a{i}" for i in range(len(shapes))]
        sig = ", ".join(params + [f"{k}={self.const()}" for k in kws])
        self.in_helper = True
        self.env = {p: Var(p, s, 2.5, s == (), False, True) for p, s in zip(params, shapes)}
        for k in kws:
            self.env[k] = Var(k, (), 2.0, True, False)
        tuple_result = self.r.random() < 0.2
        self.helper_result = [self.r.choice(SHAPES), ()] if tuple_result else self.r.choice(SHAPES)
        self.lines = []
        self.indent = 1
        self.statements(self.r.choice([0, 1, 2, 3]))
        if tuple_result:
            vals = [self.squash(self.exact(s)) for s in self.helper_result]
            self.emit(f"return {', '.join(v.code for v in vals)}")
            bound = max(v.bound for v in vals)
            pyf = True
        else:
            val = self.squash(self.exact(self.helper_result))
            if not any(p in val.code for p in params):
                val = E(f"{val.code} + {self.fit(E(params[0], shapes[0], 2.5), self.helper_result).code}",
                        self.helper_result, val.bound + 2.5 * 6)
            self.emit(f"return {val.code}")
            bound, pyf = val.bound, True
        self.module_lines.append("")
        self.module_lines.append("")
        self.module_lines.append(f"def {name}({sig}):")
        self.module_lines.extend(self.lines)
        self.helpers.append((name, shapes, kws, self.helper_result, bound, pyf))
        self.features.add("helper")
        if kws:
            self.features.add("default_arg")
        self.in_helper = False
        self.env, self.ints, self.tuples, self.lists, self.closures = {}, {}, {}, {}, {}
        self.lines = []


def bcast_all(shapes: list) -> tuple:
    out: tuple = ()
    for s in shapes:
        out = bcast(out, s)
    return out


def generate(seed: int, aliasing: bool = False, user_functions: tuple = (), user_imports: tuple = ()) -> Program:
    """A random program from `seed` (the same seed gives the same program)."""
    g = _Gen(seed, aliasing, list(user_functions))
    r = g.r
    for i in range(r.choice([0, 0, 1, 1, 2])):
        g.helper(i)
    n = r.choice([1, 2, 2, 3])
    params = []
    for i in range(n):
        shape = r.choice(SHAPES)
        if shape == ():
            kind = r.choice(["float", "float", "float", "np64", "0d"])
        else:
            kind = "array"
        params.append(Param(f"x{i}", shape, kind))
    g.env = {p.name: Var(p.name, p.shape, 2.5, p.shape == (), False, p.kind == "0d") for p in params}
    u = r.random()
    g.returns = [()] if u < 0.7 else [r.choice(SHAPES[1:])] if u < 0.85 else [(), r.choice(SHAPES)]
    if len(g.returns) > 1:
        g.features.add("tuple_return")
    elif g.returns[0] != ():
        g.features.add("array_return")
    g.lines = []
    g.indent = 1
    g.statements(r.choice([2, 3, 4, 5, 6, 7]))
    g.emit(f"return {g.return_values()}")
    body = g.lines
    header = ["import math", "", "import numpy as np", ""]
    header += list(user_imports)
    source = "\n".join(header + g.module_lines + ["", "", f"def f({', '.join(p.name for p in params)}):"] + body) + "\n"
    positions = [i for i in range(n) if r.random() < 0.75] or [r.randrange(n)]
    style = r.random()
    if len(positions) == 1 and style < 0.4:
        wrt: Any = positions[0] if style < 0.25 else params[positions[0]].name
    elif style < 0.8:
        wrt = tuple(positions)
    else:
        wrt = tuple(params[i].name for i in positions)
    options = {"unconnected_gradients": r.choice(["zero", "none"])}
    g.features.add(f"inputs_{n}")
    return Program(seed, "aliasing" if aliasing else "normal", source, params, wrt, options, g.features, g.returns)
