"""Shape analysis: which values certainly have the same shape, and which are scalars.

Input shapes are unknown when code is generated, but equalities are not: an
elementwise function keeps its operand's shape, a scalar never widens what it
is combined with, a seed has its output's shape, and a cotangent produced by
`unbroadcast(ct, x)` has the shape of `x`. The simplifier uses these facts to
drop `unbroadcast` calls that cannot change anything.
"""

from __future__ import annotations

import builtins
import copy
import operator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..ir import Block, Const, Function, Op, Value
from ..runtime import core, indexing, linalg, numeric

ELEMENTWISE_UNARY = {
    np.tanh, np.exp, np.log, np.sin, np.cos, np.tan, np.sqrt, np.square, np.abs, np.sign, np.negative,
    np.positive, np.floor, np.ceil, np.round, np.rint, np.trunc, np.zeros_like, np.ones_like, np.copy,
    operator.neg, operator.pos, operator.invert, operator.not_, core.stop_gradient, core.identity, numeric.safe_log,
}  # fmt: skip
ELEMENTWISE_BINARY = {
    operator.add, operator.sub, operator.mul, operator.truediv, operator.pow, np.add, np.subtract,
    np.multiply, np.divide, np.power, np.maximum, np.minimum, numeric.safe_div, numeric.safe_mul,
    operator.gt, operator.ge, operator.lt, operator.le, operator.eq, operator.ne,
}  # fmt: skip
FULL_REDUCTIONS = {np.sum, np.mean, np.max, np.min, np.prod, np.amax, np.amin}
SCALAR_RESULTS = {core.scalar_seed, builtins.len, np.ndim, np.size, builtins.float, builtins.int}
SHAPE_OF_ARGUMENT = {  # callee → which argument the result is shaped like
    core.seed: 1, core.unbroadcast: 1, core.broadcast_like: 1, linalg.matmul_grad_x: 1, linalg.matmul_grad_y: 2,
    linalg.dot_grad_x: 1, linalg.dot_grad_y: 2, indexing.getitem_grad: 1, core.setitem: 0,
    numeric.select: 1, numeric.reject: 1, core.astype_like: 1, core.expand_like: 1, indexing.add_at: 0,
}  # fmt: skip


@dataclass
class Shapes:
    parent: dict[int, int] = field(default_factory=dict)
    scalars: set[int] = field(default_factory=set)

    def find(self, k: int) -> int:
        parent = self.parent
        root = k
        while (up := parent.get(root, root)) != root:
            root = up
        while k != root:  # path compression: a chain of n unions costs n, not n squared, to query
            parent[k], k = root, parent[k]
        return root

    def union(self, a: Any, b: Any) -> None:
        ka, kb = self.key(a), self.key(b)
        if ka is None or kb is None:
            return
        ra, rb = self.find(ka), self.find(kb)
        if ra != rb:
            self.parent[rb] = ra
            if rb in self.scalars:
                self.scalars.add(ra)

    @staticmethod
    def key(a: Any) -> int | None:
        return id(a) if isinstance(a, Value) else None

    def is_scalar(self, a: Any) -> bool:
        if isinstance(a, Const):
            return isinstance(a.value, (int, float, np.number)) and not isinstance(a.value, bool)
        k = self.key(a)
        return k is not None and self.find(k) in self.scalars

    def same(self, a: Any, b: Any) -> bool:
        if self.is_scalar(a) and self.is_scalar(b):
            return True
        ka, kb = self.key(a), self.key(b)
        return ka is not None and kb is not None and self.find(ka) == self.find(kb)

    def mark_scalar(self, a: Value) -> None:
        self.scalars.add(self.find(id(a)))


def compute_shapes(fn: Function) -> Shapes:
    shapes = Shapes()
    tapes: dict[int, Value] = {}
    for a, b in fn.shaped_like:
        shapes.union(a, b)
    for a in fn.scalars:
        shapes.mark_scalar(a)
    for op in fn.walk():
        if op.kind == "push":
            tapes.setdefault(id(op.args[0]), op.args[1])
    _block(fn.body, shapes, tapes)
    return shapes


def _block(block: Block, shapes: Shapes, tapes: dict[int, Value]) -> None:
    for op in block.ops:
        if op.kind in ("for", "while"):
            _loop(op, shapes, tapes)
        else:
            for region in op.regions:
                _block(region, shapes, tapes)
            _infer(op, shapes, tapes)
            if op.kind == "if":
                for i, r in enumerate(op.results):
                    a, b = (region.ops[-1].args[i] for region in op.regions)
                    if shapes.same(a, b):
                        _join(shapes, r, a)


def _join(shapes: Shapes, v: Value, like: Any) -> None:
    if isinstance(like, Value):
        shapes.union(v, like)
    elif shapes.is_scalar(like):
        shapes.mark_scalar(v)


def _loop(op: Op, shapes: Shapes, tapes: dict[int, Value]) -> None:
    """A carried value keeps its initial shape if, assuming so, each iteration gives it back
    in that shape (an optimistic guess, checked on a copy before it is kept)."""
    (body,) = op.regions
    term_args = body.ops[-1].args
    if op.kind == "for":
        inits, args, yields = op.args[3:], body.args[1:], term_args
        shapes.mark_scalar(body.args[0])
    else:
        inits, args, yields = op.args[1:], body.args, term_args[1:]
    candidates = [j for j, init in enumerate(inits) if isinstance(init, Value) or shapes.is_scalar(init)]
    while candidates:
        trial = copy.deepcopy(shapes)
        for j in candidates:
            _join(trial, args[j], inits[j])
        _block(body, trial, tapes)
        holding = [j for j in candidates if trial.same(yields[j], args[j])]
        if holding == candidates:
            break
        candidates = holding
    for j in candidates:
        _join(shapes, args[j], inits[j])
    _block(body, shapes, tapes)
    for j in candidates:
        _join(shapes, op.results[j], inits[j])


def _infer(op: Op, shapes: Shapes, tapes: dict[int, Value]) -> None:
    if op.kind == "pop":
        pushed = tapes.get(id(op.args[0]))
        if pushed is not None:
            shapes.union(op.result, pushed)
        return
    if op.kind != "call":
        return
    fn, args, out = op.fn, op.args, op.result
    if "recomputes" in op.attrs:  # the reverse loop's copy of a forward view
        shapes.union(out, op.attrs["recomputes"])
    if fn in ELEMENTWISE_UNARY and len(args) == 1 and "shape" not in op.kwargs:  # (`np.ones_like(x, shape=...)`)
        shapes.union(out, args[0])
    elif fn in ELEMENTWISE_BINARY and len(args) == 2:
        x, y = args
        # The result is shaped like an operand when the other is a scalar (or shaped the same);
        # an operand srcgrad knows nothing of (a global array, a constant array) is neither.
        if shapes.is_scalar(y) or shapes.same(x, y):
            _join(shapes, out, x)
        elif shapes.is_scalar(x):
            _join(shapes, out, y)
    elif fn in FULL_REDUCTIONS and "axis" not in op.kwargs and len(args) == 1 and "keepdims" not in op.kwargs:
        shapes.mark_scalar(out)
    elif fn in SCALAR_RESULTS:
        shapes.mark_scalar(out)
    elif fn is operator.getitem and isinstance(args[0], Value) and isinstance(args[1], Const) and \
            isinstance(args[1].value, int) and isinstance(args[0].owner, Op) and args[0].owner.fn is np.shape:
        shapes.mark_scalar(out)  # one dimension of a shape: an int
    elif fn in SHAPE_OF_ARGUMENT and len(args) > SHAPE_OF_ARGUMENT[fn]:
        like = args[SHAPE_OF_ARGUMENT[fn]]
        if isinstance(like, Value):
            shapes.union(out, like)
        elif shapes.is_scalar(like):
            shapes.mark_scalar(out)
    elif fn is np.broadcast_to and len(args) == 2 and isinstance(args[1], Value):
        source = args[1].owner
        if isinstance(source, Op) and source.kind == "call" and source.fn is np.shape:
            shapes.union(out, source.args[0])
