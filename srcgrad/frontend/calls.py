"""Lowering calls: methods, library callees, and the user's functions, which are
inlined so that everything they compute is differentiated through."""

from __future__ import annotations

import builtins
import collections
import inspect
import operator
import types
from typing import Any

import gast
import numpy as np

from ..errors import SrcgradError
from ..ir import Const, Free, Value
from ..rules import is_nondifferentiable, lookup
from ..rules.numpy_definitions import DEFINITIONS, REDUCTIONS, ufunc_outer
from ..runtime import core
from ..runtime.indexing import add_at, getitem_grad
from .canonicalize import canonicalize
from .resolve import Abstract, LocalFunction, Scope, Seq, Static, classify, is_literal
from .source import SourceUnavailable, parse_function, unwrap

# ndarray methods, lowered to the NumPy function of the same name, so each has one rule.
ARRAY_METHODS: dict[str, Any] = {
    name: getattr(np, name)
    for name in (
        "sum", "mean", "max", "min", "prod", "dot", "ravel", "squeeze", "clip", "cumsum",
        "cumprod", "std", "var", "argmax", "argmin", "argsort", "all", "any", "swapaxes", "take",
        "round", "trace", "diagonal", "nonzero", "repeat", "conj",
    )
}  # fmt: skip
ARRAY_METHODS["flatten"] = np.ravel  # but a copy: never recorded as a view
# `x.copy()` stays a method call: C order, where `np.copy` keeps the layout, and a later reshape or
# ravel(order="K") of the copy views or reads it as Python's does.


_LIBRARY_ROOTS = {"numpy", "scipy", "math", "builtins", "operator", "_operator", "functools"}
_SRCGRAD_INTERNALS = ("srcgrad.runtime", "srcgrad.rules", "srcgrad.api")


def _is_library(obj: Any) -> bool:
    """NumPy, SciPy, the standard library, srcgrad's own primitives: called, never looked into.
    (srcgrad.nn and srcgrad.regularizers are plain Python and are differentiated through.)"""
    module = getattr(obj, "__module__", None) or ""
    return module.split(".", 1)[0] in _LIBRARY_ROOTS or module.startswith(_SRCGRAD_INTERNALS) or isinstance(
        obj, (types.BuiltinFunctionType, np.ufunc)
    )


# Methods and functions that change an array in place: the adjoint could not follow them.
MUTATING_METHODS = {"sort", "fill", "put", "itemset", "resize", "partition", "setfield", "byteswap"}
MUTATING_FUNCTIONS = {
    np.copyto, np.fill_diagonal, np.put, np.place, np.putmask, np.put_along_axis,
}  # fmt: skip


_FOLDABLE = {builtins.float, builtins.int, builtins.bool, builtins.abs, builtins.round, builtins.min,
             builtins.max, builtins.pow, builtins.len, builtins.str}


def _writes_in_place(fn: Any) -> bool:
    owner = getattr(fn, "__self__", None)
    return fn in MUTATING_FUNCTIONS or (isinstance(owner, np.ufunc) and getattr(fn, "__name__", "") == "at")


def _keywords_by_position(fn: Any, args: list, kwargs: dict) -> tuple[list, dict]:
    """A value passed by keyword to a callee whose rule names that parameter (`norm.logpdf(x,
    loc=mu)`) is passed by position instead, with the rule's defaults for the parameters between
    (rules give one cotangent per position, so a gradient can flow to it)."""
    rule = lookup(fn)
    partial = next((p for p in rule.partials if p is not None), None) if rule is not None else None
    if partial is None or not any(isinstance(v, Value) for v in kwargs.values()):
        return args, kwargs
    try:
        parameters = list(inspect.signature(partial).parameters.values())[2:]  # after (ct, out)
    except (TypeError, ValueError):
        return args, kwargs
    names = [p.name for p in parameters if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    last = max((names.index(k) for k, v in kwargs.items()
                if isinstance(v, Value) and k in names and rule.partial(names.index(k)) is not None), default=-1)
    if last < len(args):
        return args, kwargs
    args, kwargs = list(args), dict(kwargs)
    for name, parameter in zip(names[len(args):last + 1], parameters[len(args):last + 1]):
        if name in kwargs:
            args.append(kwargs.pop(name))
        elif parameter.default is not inspect.Parameter.empty and is_literal(parameter.default):
            args.append(Const(parameter.default))
        else:
            return args, kwargs  # a gap the rule gives no default for: the rest stay keywords
    return args, kwargs


def _readable(fn: Any) -> bool:
    """Whether srcgrad can read `fn`'s source (to differentiate through it)."""
    try:
        parse_function(fn)
    except SourceUnavailable:
        return False
    return True


RECURSION_LIMIT = 50
"""How deep a recursive user function is inlined: its depth must be decided at compile time."""


class Calls:
    """The part of lowering that owns calls (mixed into the function lowering)."""

    def expr_Call(self, node: gast.Call, env: dict) -> Abstract:
        if any(k.arg is None for k in node.keywords):
            raise self.error(node, "**kwargs in a call", "pass each keyword argument by name")
        for keyword in node.keywords:
            if keyword.arg == "out":
                raise self.error(keyword.value, "out= (writing a result into an existing array)",
                                 "assign the result to a name instead: y = np.negative(y)")
        func = node.func
        if isinstance(func, gast.Attribute):
            receiver = self.expr(func.value, env)
            if not isinstance(receiver, Static):
                return self.method_call(receiver, func, node, env)
            callee = self.expr(func, env)
        else:
            callee = self.expr(func, env)
        _, args, kwargs = self.arguments(node, env)
        self.at(node)
        return self.call(callee, args, kwargs, node, env)

    def arguments(self, node: gast.Call, env: dict, receiver: Abstract | None = None) -> tuple:
        """`(receiver, args, kwargs)`: a method call's receiver (or None), then the positional and
        keyword arguments, in Python's order, each as the callee sees it (`Expressions.in_order`)."""
        first = [] if receiver is None else [receiver]
        plain = [a.value if isinstance(a, gast.Starred) else a for a in node.args]
        values = self.in_order([*plain, *(k.value for k in node.keywords)], env, node, first=first)
        if first:
            receiver, values = values[0], values[1:]
        kwargs = {k.arg: v for k, v in zip(node.keywords, values[len(node.args):])}
        args = []
        for a, value in zip(node.args, values[:len(node.args)]):
            args += self.starred_items(a, value) if isinstance(a, gast.Starred) else [value]
        return receiver, args, kwargs

    def starred_items(self, node: gast.Starred, value: Abstract) -> list:
        """`*xs` in a call or a tuple: the items of a list or tuple whose length srcgrad knows."""
        if isinstance(value, Seq):
            return list(value.items)
        if isinstance(value, Const) and isinstance(value.value, (tuple, list)):
            return [Const(v) for v in value.value]
        raise self.error(node, "*args of a value whose length is known only at run time",
                         "pass each argument by position, or unpack a list or tuple built in the function")

    def method_call(self, receiver: Abstract, func: gast.Attribute, node: gast.Call, env: dict) -> Abstract:
        name = func.attr
        if name in MUTATING_METHODS and not isinstance(receiver, Seq):
            raise self.error(node, f".{name}() (it changes the array in place)",
                             f"use the NumPy function that returns a new array, e.g. y = np.{name}(y)"
                             if name in ("sort", "partition", "resize") else "build a new array, e.g. with np.full_like")
        receiver, args, kwargs = self.arguments(node, env, receiver)
        self.at(node)
        if name == "append" and isinstance(func.value, gast.Name):
            if isinstance(receiver, Seq) and receiver.kind == "list" and len(args) == 1:
                self.mutated(env, func.value.id, receiver, Seq(receiver.items + args, "list"))
                return Const(None)
            if isinstance(receiver, Value) and len(args) == 1:
                if isinstance(args[0], Value):  # the list holds this array itself, not a copy
                    aliasing = self.lowering.aliasing
                    item = node.args[0].id if isinstance(node.args[0], gast.Name) else args[0].hint
                    aliasing.add_listed((aliasing.storage(args[0]), node, func.value.id, item))
                appended = self.call_op(core.list_append, [receiver, args[0]], {}, func.value.id)
                self.mutated(env, func.value.id, receiver, appended)
                return Const(None)
        if name == "pop" and not args and not kwargs and isinstance(func.value, gast.Name):
            # xs.pop(): the last item, and xs rebound to the rest (a tape in a generated adjoint).
            if isinstance(receiver, Seq) and receiver.items:
                self.mutated(env, func.value.id, receiver, Seq(receiver.items[:-1], receiver.kind))
                return receiver.items[-1]
            if isinstance(receiver, Value):
                receiver.maybe_sequence = True
                last = self.call_op(operator.getitem, [receiver, Const(-1)], {}, "item")
                rest = self.call_op(operator.getitem, [receiver, Const(slice(None, -1))], {}, func.value.id)
                self.mutated(env, func.value.id, receiver, rest)
                return last
        if name == "pop":
            raise self.error(node, "this use of pop()", "pop the last item of a named list: xs.pop()")
        if isinstance(receiver, Seq):
            receiver = self.operand(receiver)
        if name == "reshape":
            shape = args[0] if len(args) == 1 else Seq(args, "tuple")
            return self.call_op(np.reshape, [receiver, shape], kwargs, "t")
        if name == "transpose":
            axes = [] if not args else [args[0] if len(args) == 1 else Seq(args, "tuple")]
            return self.call_op(np.transpose, [receiver, *axes], kwargs, "t")
        if name in ARRAY_METHODS:
            fn = ARRAY_METHODS[name]
            return self.call_op(fn, [receiver, *args], kwargs, "t", view=name != "flatten")
        method = self.user_method(receiver, name)
        if method is not None:  # layer.forward(x): the class's function, differentiated through
            return self.inline(method, (), [receiver, *args], kwargs, node)
        result = self.call_op(core.method(name), [receiver, *args], kwargs, "t")
        kind = receiver.kind if isinstance(receiver, Free) else None
        if kind is not None and not issubclass(kind, np.ndarray):  # named if it has no rule (reverse mode)
            result.owner.attrs["receiver_class"] = f"{kind.__module__.split('.')[0]}.{kind.__qualname__}"
        return result

    @staticmethod
    def user_method(receiver: Abstract, name: str) -> Any:
        """The function a user object's class defines for method `name`, where srcgrad knows the
        object's class (a global or closure object), else None."""
        kind = receiver.kind if isinstance(receiver, Free) else None
        if kind is None or _is_library(kind):
            return None
        fn = inspect.getattr_static(kind, name, None)
        return fn if inspect.isfunction(fn) and not _is_library(fn) else None

    def call(self, callee: Abstract, args: list, kwargs: dict, node: gast.Call, env: dict) -> Abstract:
        if isinstance(callee, LocalFunction):
            return self.inline_local(callee, args, kwargs, node, env)
        if not isinstance(callee, Static):
            raise self.error(node.func, "calling a value that is only known at run time",
                             "call a function by its name")
        fn = callee.obj
        if fn in (builtins.max, builtins.min) and not kwargs and (len(args) > 2 or (
                len(args) == 1 and isinstance(args[0], Seq) and args[0].items)):
            items = args if len(args) > 2 else args[0].items
            value = items[0]
            for other in items[1:]:  # pairwise, first wins on ties, as Python's max/min
                value = self.call(callee, [value, other], {}, node, env)
            return value
        if fn is builtins.len and len(args) == 1 and isinstance(args[0], Seq):
            return Const(len(args[0].items))
        if fn in (builtins.tuple, builtins.list) and len(args) == 1 and isinstance(args[0], Seq):
            return Seq(list(args[0].items), fn.__name__)
        if fn is builtins.zip and args and not kwargs and all(isinstance(a, Seq) for a in args):
            return Seq([Seq(list(items), "tuple") for items in zip(*(a.items for a in args))], "list")
        if fn is builtins.map and len(args) >= 2 and not kwargs and all(isinstance(a, Seq) for a in args[1:]):
            # map over lists of known length: the calls, one per item (a user function is inlined)
            return Seq([self.call(args[0], list(items), {}, node, env) for items in zip(*(a.items for a in args[1:]))],
                       "list")
        if fn is builtins.isinstance and len(args) == 2 and isinstance(args[0], (Const, Seq)) and isinstance(args[1], Static):
            sample = args[0].value if isinstance(args[0], Const) else (tuple() if args[0].kind == "tuple" else [])
            return Const(isinstance(sample, args[1].obj))
        if (fn in _FOLDABLE or getattr(fn, "__module__", None) == "math") and not kwargs \
                and all(isinstance(a, Const) for a in args):
            try:  # a pure function of constants is a constant (float(0.2), math.sqrt(2.0))
                return Const(fn(*(a.value for a in args)))
            except Exception:
                pass  # let it fail at run time, where the user expects it to
        if _writes_in_place(fn):
            raise self.error(node, f"{getattr(fn, '__qualname__', fn)} (it changes an array in place)",
                             "compute a new array instead, e.g. with np.where or y = y + update")
        if fn in DEFINITIONS:  # np.trapezoid, ...: differentiated through as the NumPy code it is
            return self.inline(DEFINITIONS[fn], (), args, kwargs, node)
        ufunc = getattr(fn, "__self__", None)
        if isinstance(ufunc, np.ufunc) and (ufunc, fn.__name__) in REDUCTIONS and args:
            # np.add.reduce(x, axis=0): np.sum(x, axis=0), whose rule applies
            axis = args[1] if len(args) > 1 else kwargs.pop("axis", Const(0))
            return self.call(Static(REDUCTIONS[ufunc, fn.__name__]), args[:1] + list(args[2:]), {**kwargs, "axis": axis},
                             node, env)
        if isinstance(ufunc, np.ufunc) and fn.__name__ == "outer" and len(args) == 2 and not kwargs:
            return self.inline(ufunc_outer, (), [Static(ufunc), *args], {}, node)
        if fn is add_at and len(args) == 3 and not kwargs:
            # Generated code's in-place accumulation, read back as the value it computes.
            acc, index, value = args
            scattered = self.call_op(getitem_grad, [value, acc, index], {}, "item")
            return self.call_op(operator.add, [acc, scattered], {}, "plus")
        target = unwrap(fn)
        srcgrad_wrapper = hasattr(fn, "__srcgrad_original__")  # @differentiate, srcgrad.grad(...)
        if lookup(fn) is None and not is_nondifferentiable(fn) and inspect.isfunction(target) and (
            srcgrad_wrapper or not _is_library(fn)
        ) and _readable(target):
            return self.inline(target, callee.spec, args, kwargs, node)
        # a function without source (made by exec, compiled) is called as it is: reverse mode refuses
        # it, with the register_vjp hint, only where a gradient would flow through it
        args, kwargs = _keywords_by_position(fn, args, kwargs)
        if isinstance(fn, np.ufunc):  # np.maximum([a, b], 0.5): the list as the array NumPy makes of it
            args = [self.call_op(np.asarray, [a], {}, "array", view=False)
                    if isinstance(a, Seq) or isinstance(a, Value) and a.maybe_sequence else a for a in args]
        return self.call_op(fn, args, kwargs, _hint_for(fn), spec=callee.spec)

    def inline(self, fn: Any, path: tuple, args: list, kwargs: dict, node: gast.Call) -> Abstract:
        depth = self.lowering.inlining.count(fn) + (fn is self.lowering.fn)
        if depth >= RECURSION_LIMIT:
            # A recursion whose end the arguments decide at compile time (`rpow(x, 3)`, a list of known
            # length) is inlined level by level; one decided by values known only at run time is not.
            raise self.error(node, f"a recursive call to {fn.__qualname__} more than {RECURSION_LIMIT} levels deep "
                                   "(or one whose depth depends on values known only at run time)",
                             "make what ends the recursion a constant (a Python int, a list's length), "
                             "or write the recursion as a loop")
        if path and not path[0].startswith(("<", "@")):
            self.lowering.dependencies.append((path, fn))
        parsed = parse_function(fn)
        if isinstance(parsed.node, gast.Lambda):
            body = [gast.copy_location(gast.Return(value=parsed.node.body), parsed.node.body)]
        else:
            body = canonicalize(parsed.node).body
        try:
            bound = inspect.signature(fn).bind(*args, **kwargs)
        except TypeError as exc:
            raise SrcgradError(f"cannot call {fn.__qualname__}: {exc}", self.parsed.loc(node)) from None
        env: dict[str, Abstract] = {}
        for name, param in inspect.signature(fn).parameters.items():
            if name in bound.arguments:
                value = bound.arguments[name]
                if param.kind is inspect.Parameter.VAR_POSITIONAL:
                    value = Seq(list(value), "tuple")
                elif param.kind is inspect.Parameter.VAR_KEYWORD:
                    raise self.error(node, f"calling {fn.__qualname__}, which takes **{name}", "name its parameters")
                env[name] = value
            elif param.default is not inspect.Parameter.empty:
                env[name] = classify(param.default, name, ("<default>",) + path + (name,), module_attribute=True) \
                    if not is_literal(param.default) else Const(param.default)
            elif param.kind is inspect.Parameter.VAR_POSITIONAL:
                env[name] = Seq([], "tuple")
        ctx = type(self)(self.lowering, parsed, Scope(fn, path), parsed.node)
        ctx.builder = self.builder
        self.lowering.inlining.append(fn)
        try:
            result = ctx.body(body, env)
        finally:
            self.lowering.inlining.pop()
        self.builder = ctx.builder
        return result

    def inline_local(self, local: LocalFunction, args: list, kwargs: dict, node: gast.Call, env: dict) -> Abstract:
        fnode = local.node
        assert isinstance(fnode, gast.FunctionDef)
        params = [a.id for a in fnode.args.args]
        bound: dict[str, Abstract] = {}
        defaults = fnode.args.defaults
        for i, name in enumerate(params):
            if i < len(args):
                bound[name] = args[i]
            elif name in kwargs:
                bound[name] = kwargs[name]
            elif i >= len(params) - len(defaults):
                bound[name] = self.expr(defaults[i - (len(params) - len(defaults))], local.env)
            else:
                raise SrcgradError(f"missing argument '{name}' in the call to {fnode.name}", self.parsed.loc(node))
        # Closures read names at call time: the defining function's names as bound now, wherever
        # the call is (a closure called from another closure included).
        if local.owner is self:
            enclosing = env
        elif local.owner in self.lowering.contexts:
            enclosing = local.owner.env_now
        else:
            enclosing = local.env
        outer = collections.ChainMap(enclosing, getattr(local.owner, "outer_env", None) or {})
        ctx = type(self)(self.lowering, local.parsed, self.scope, fnode, outer_env=outer)
        ctx.builder = self.builder
        result = ctx.body(canonicalize(fnode).body, bound)
        self.builder = ctx.builder
        return result

    def expr_Lambda(self, node: gast.Lambda, env: dict) -> Abstract:
        body = gast.copy_location(gast.Return(value=node.body), node.body)
        fdef = gast.FunctionDef(name="<lambda>", args=node.args, body=[body], decorator_list=[], returns=None,
                                type_comment=None, type_params=[])
        return LocalFunction(gast.copy_location(fdef, node), self.parsed, env, self.scope.path, owner=self)


def _hint_for(fn: Any) -> str:
    name = getattr(fn, "__name__", "t")
    return name if name.isidentifier() and name not in ("getitem", "<lambda>") else "t"
