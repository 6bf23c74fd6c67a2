"""The public contract (SPEC.md sections 1–4): `differentiate`, `grad`,
`value_and_grad`, `show`. Checks options and arguments, looks up the cache,
calls the pipeline, and gives each gradient the shape and dtype of its input.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from . import options as option_checks
from . import pipeline
from .arguments import is_complex, is_integer, not_a_real_number, plain_float, plain_sequence, scalar_kinds, shaped_like
from .backend import cache
from .backend.codegen import module_source
from .backend.compile import compile_module
from .backend.link import link, resolve_scope
from .errors import SrcgradError, UnsupportedValueError
from .frontend.source import parse_function, unwrap
from .rules.registry import generation

if TYPE_CHECKING:  # (typed options for editors and type checkers; nothing at run time)
    from typing_extensions import Unpack

    from .options import GradOptions


@dataclass
class Compiled:
    """A linked adjoint: the generated function, and how to re-read the user's values."""

    function: Callable
    refresh: Callable[[], None]
    source: str
    path: str
    generation: int
    ir: str = ""
    dependencies: list = field(default_factory=list)
    """(path, function) for each inlined callee, as linked: stale once a path finds another."""
    repeated: tuple = ()
    """Parameters the function adds or multiplies as they come (`Generated.repeated`)."""

    def is_stale(self, top: Any) -> bool:
        for path, fn in self.dependencies:
            try:
                if unwrap(resolve_scope(top, path)) is not fn:
                    return True
            except Exception:  # the name is gone: recompiling will say so, with a location
                return True
        return False


_MEMORY: dict[tuple, Compiled] = {}


def compile_adjoint(fn: Any, options: pipeline.Options) -> Compiled:
    fn = unwrap(fn)
    memory_key = (fn, options)
    compiled = _MEMORY.get(memory_key)
    if compiled is not None and compiled.generation == generation() and not compiled.is_stale(fn):
        return compiled
    cache_key = cache.key(fn, options)
    if cache.enabled():
        entry = cache.load(cache_key)
        if entry is not None:
            compiled = _link_entry(fn, *entry)
            if compiled is not None:
                _MEMORY[memory_key] = compiled
                return compiled
    generated, ir_text = pipeline.differentiate(fn, options)
    assert generated is not None
    parsed = parse_function(fn)
    origin = f"{getattr(fn, '__module__', '?')}.{fn.__qualname__} ({os.path.basename(parsed.file)}:{parsed.first_line})"
    text = module_source(generated, origin)
    meta = {"name": generated.name, "helpers": generated.helpers, "frees": generated.frees,
            "dependencies": generated.dependencies, "repeated": generated.repeated}
    path = cache.store(cache_key, text, meta) if cache.enabled() else None
    if path is not None:
        entry = cache.load(cache_key)
        if entry is not None:
            compiled = _link_entry(fn, *entry)
            if compiled is not None:
                compiled.ir = ir_text
                _MEMORY[memory_key] = compiled
                return compiled
    filename = f"<srcgrad:{generated.name}:{cache_key[:12]}>"
    code = compile_module(text, filename)
    function, refresh = link(code, generated.name, fn, generated.helpers, generated.frees)
    compiled = Compiled(function, refresh, text, filename, generation(), ir_text,
                        _dependencies(fn, generated.dependencies), tuple(generated.repeated))
    _MEMORY[memory_key] = compiled
    return compiled


def _link_entry(fn: Any, text: str, meta: dict, path: Any) -> Compiled | None:
    try:
        helpers = {k: tuple(v) for k, v in meta["helpers"].items()}
        frees = {k: tuple(v) for k, v in meta["frees"].items()}
        code = compile_module(text, str(path))
        function, refresh = link(code, meta["name"], fn, helpers, frees)
        dependencies = _dependencies(fn, [tuple(p) for p in meta.get("dependencies", [])])
    except (SyntaxError, KeyError, ImportError, AttributeError, SrcgradError, TypeError, ValueError):
        return None
    body = text.split("\n", 2)[2]
    return Compiled(function, refresh, body, str(path), generation(), dependencies=dependencies,
                    repeated=tuple(meta.get("repeated", ())))


def _dependencies(fn: Any, paths: list) -> list:
    return [(tuple(path), unwrap(resolve_scope(fn, tuple(path)))) for path in paths]


class BoundGradFunction:
    """`srcgrad.grad(model.loss)`: the gradient of a bound method, called with the method's own
    arguments; its object is the function's first argument, held fixed."""

    def __init__(self, method: Any, grad: "GradFunction"):
        self.__self__, self._grad = method.__self__, grad
        functools.update_wrapper(self, method, updated=())
        del self.__wrapped__
        self.__name__ = f"{method.__name__}_grad"

    def __call__(self, *args: Any, grad_ys: Any = None, **kwargs: Any) -> Any:
        return self._grad(self.__self__, *args, grad_ys=grad_ys, **kwargs)

    @property
    def source(self) -> str:
        return self._grad.source


class _Adjoint:
    """Calls a compiled adjoint with the original function's arguments."""

    def __init__(self, fn: Any, options: pipeline.Options):
        self.fn = unwrap(fn)
        self.options = options
        self.signature = inspect.signature(self.fn)
        self.params = option_checks.parameters(self.fn)
        self.positional_only_call = len(self.params) == len(self.signature.parameters) and all(
            p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in self.signature.parameters.values()
        )
        # For each wrt entry, the position of the argument its gradient is shaped like (None: a local).
        self.references = [
            (e % len(self.params) if self.params else e) if isinstance(e, int)
            else (self.params.index(e) if e in self.params else None)
            for e in options.wrt
        ]
        self._compiled: dict[tuple | None, Compiled] = {}
        self.warned: set = set()

    def compiled(self, kinds: tuple | None = None) -> Compiled:
        """The adjoint for calls whose scalar arguments are `kinds` (`arguments.scalar_kinds`; None:
        the generic one, which `source` shows and `grad(grad(f))` differentiates)."""
        compiled = self._compiled.get(kinds)
        if compiled is None or compiled.generation != generation() or (
            compiled.dependencies and compiled.is_stale(self.fn)
        ):
            options = self.options if kinds is None else dataclasses.replace(self.options, specialised=kinds)
            compiled = self._compiled[kinds] = compile_adjoint(self.fn, options)
        return compiled

    def arguments(self, args: tuple, kwargs: dict) -> list:
        if not kwargs and self.positional_only_call and len(args) == len(self.params):
            return list(args)  # the common call: every argument by position
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return [bound.arguments[p] for p in self.params]

    def __call__(self, *args: Any, grad_ys: Any = None, **kwargs: Any) -> Any:
        values = self.arguments(args, kwargs)
        # an adjoint per kind of scalar argument: shape analysis knows those are scalars (optimize=False
        # shows the raw transform, for any arguments)
        compiled = self.compiled(scalar_kinds(values) if self.options.optimize else None)
        for position in self.references:
            if position is None or plain_float(values[position]):
                continue  # (the common case, checked first: a call costs microseconds)
            if is_complex(values[position]):
                raise TypeError(
                    f"{self.fn.__qualname__}: argument {self.params[position]!r} is complex; srcgrad differentiates "
                    f"real-valued code only: pass the real and imaginary parts as separate real arrays"
                )
            what = position is not None and not_a_real_number(values[position])
            if what:
                raise TypeError(f"{self.fn.__qualname__}: argument {self.params[position]!r} is {what}, which srcgrad does "
                                f"not differentiate: pass a float or a NumPy array of floats")
        for name in compiled.repeated:
            value = values[self.params.index(name)]
            if isinstance(value, (list, tuple)):
                raise TypeError(
                    f"{self.fn.__qualname__}: argument {name!r} is a {type(value).__name__}, which the function adds "
                    f"or multiplies (`{name} * k` repeats a {type(value).__name__} in Python, where the gradient "
                    f"would scale it): pass np.asarray({name})"
                )
        compiled.refresh()
        try:
            result = compiled.function(*values, grad_ys)
        except (TypeError, AttributeError, ValueError) as error:
            self._refuse_sequence_used_as_array(values, error)
            raise
        aux = None
        if self.options.with_value:
            value, grads = result  # with has_aux, value is (output, aux), as JAX gives it
        elif self.options.has_aux:
            value, (grads, aux) = None, result
        else:
            value, grads = None, result
        grads = (grads,) if self.options.single else grads
        fixed = []
        for entry, position, g in zip(self.options.wrt, self.references, grads):
            if position is None:  # an intermediate's gradient: a NumPy scalar for a 0-d result
                fixed.append(g[()] if isinstance(g, np.ndarray) and g.ndim == 0 else g)
                continue
            reference = values[position]
            if type(g) is type(reference) is np.ndarray and g.dtype is reference.dtype and g.shape == reference.shape \
                    and reference.dtype.kind == "f" and g.flags.writeable:
                fixed.append(g)  # (the common case: a float array's gradient, shaped and typed as it)
                continue
            if is_integer(reference):
                self._warn_integer(self.params[position], reference)
                if self.options.unconnected_gradients == "none":
                    fixed.append(None)
                elif isinstance(reference, (int, np.integer)):
                    fixed.append(type(reference)(0))  # a Python int in, an int out
                else:
                    fixed.append(np.zeros_like(reference))
                continue
            if is_complex(g):
                raise TypeError(
                    f"{self.fn.__qualname__}: the gradient w.r.t. {entry!r} came out complex: srcgrad's rules "
                    f"are for real values; keep complex numbers out of the differentiated path"
                )
            fixed.append(shaped_like(g, reference))
        out = fixed[0] if self.options.single else tuple(fixed)
        if self.options.with_value:
            return value, out
        return (out, aux) if self.options.has_aux else out


    def _refuse_sequence_used_as_array(self, values: list, error: Exception) -> None:
        """An adjoint that failed on a list of numbers the function hands to NumPy as an array
        (`np.tanh(x) @ x`): its rules take arrays. Say so, instead of the error from generated code."""
        said = str(error)
        if isinstance(error, SrcgradError) or not any(kind in said for kind in ("list", "tuple", "sequence")):
            return  # (an error of another kind: a singular matrix, the user's own indexing, is left as it is)
        name = next((p for p, v in zip(self.params, values) if plain_sequence(v)), None)
        if name is not None:
            kind = type(values[self.params.index(name)]).__name__
            raise UnsupportedValueError(
                f"{self.fn.__qualname__}: argument {name!r} is a {kind} of numbers, which the function uses as "
                f"an array; the adjoint's rules take arrays ({type(error).__name__}: {error})",
                hint=f"pass np.asarray({name}) (a {kind} of arrays is a parameter tree, and its gradient a {kind})",
            ) from error

    def _warn_integer(self, name: str, value: Any) -> None:
        """Once per argument: an integer gets no gradient (SPEC section 4), which `None` alone does not say."""
        if name not in self.warned:
            self.warned.add(name)
            what = f"{value.dtype} array" if isinstance(value, np.ndarray) else type(value).__name__
            warnings.warn(f"{self.fn.__qualname__}: {name!r} is an integer ({what}), which carries no "
                          "gradient: pass a float (3.0, x.astype(float)) to differentiate with respect to it", stacklevel=4)


class GradFunction:
    """What `srcgrad.grad(fn)` returns: call it like `fn`, plus `grad_ys=`.

    Differentiating it again differentiates the generated adjoint itself
    (`srcgrad.grad(srcgrad.grad(f))`).
    """

    def __init__(self, fn: Any, options: pipeline.Options):
        self._adjoint = _Adjoint(fn, options)
        functools.update_wrapper(self, unwrap(fn), updated=())
        del self.__wrapped__
        self.__name__ = f"{unwrap(fn).__name__}_grad"

    def __call__(self, *args: Any, grad_ys: Any = None, **kwargs: Any) -> Any:
        return self._adjoint(*args, grad_ys=grad_ys, **kwargs)

    @property
    def __srcgrad_original__(self) -> Any:
        return self._adjoint.compiled().function

    @property
    def source(self) -> str:
        return self._adjoint.compiled().source

    @property
    def __signature__(self) -> inspect.Signature:
        sig = self._adjoint.signature
        params = [p for p in sig.parameters.values() if p.kind is not p.VAR_KEYWORD]
        extra = inspect.Parameter("grad_ys", inspect.Parameter.KEYWORD_ONLY, default=None)
        if not any(p.name == "grad_ys" for p in params):
            params.append(extra)
        params.sort(key=lambda p: p.kind)
        return sig.replace(parameters=params)


def grad(fn: Any, **options: Unpack[GradOptions]) -> GradFunction | BoundGradFunction:
    """The gradient of `fn` as a function of `fn`'s arguments (plus `grad_ys=`)."""
    if _is_bound_method(fn):
        return BoundGradFunction(fn, grad(fn.__func__, **option_checks.method_options(options)))
    _check_function(fn)
    return GradFunction(fn, option_checks.normalise(fn, options))


def value_and_grad(fn: Any, **options: Unpack[GradOptions]) -> GradFunction | BoundGradFunction:
    """Like `grad`, returning `(value, gradients)`."""
    if _is_bound_method(fn):
        return BoundGradFunction(fn, value_and_grad(fn.__func__, **option_checks.method_options(options)))
    _check_function(fn)
    return GradFunction(fn, option_checks.normalise(fn, options, with_value=True))


def show(fn: Any, mode: str = "reverse", *, args: tuple | None = None, **options: Unpack[GradOptions]) -> str:
    """The generated adjoint source of `fn` (`mode="forward"`: its tangent function, the one `jvp`
    runs, by default with a tangent for every parameter). `args`: example arguments, to show the
    adjoint `grad` runs for calls like them (specialised where some are scalars)."""
    if _is_bound_method(fn):
        return show(fn.__func__, mode, args=None if args is None else (fn.__self__, *args),
                    **option_checks.method_options(options))
    _check_function(fn)
    normalised = option_checks.normalise_for(fn, options, mode)
    if args is not None and mode == "reverse" and normalised.optimize:
        values = _Adjoint(fn, normalised).arguments(tuple(args), {})
        normalised = dataclasses.replace(normalised, specialised=scalar_kinds(values))
    return compile_adjoint(fn, normalised).source


def _is_bound_method(fn: Any) -> bool:
    if isinstance(fn, BoundDifferentiated):
        return True
    return inspect.ismethod(fn) and not inspect.isclass(fn.__self__) and inspect.isfunction(unwrap(fn.__func__))


def _check_function(fn: Any) -> None:
    if not callable(fn):
        raise TypeError(f"srcgrad differentiates functions; got {type(fn).__name__}")
    target = unwrap(fn)
    if not inspect.isfunction(target):
        raise SrcgradError(
            f"cannot differentiate {fn!r}: its source is not available (a builtin or compiled function)",
            hint="wrap it in a Python function, or give it a rule with srcgrad.register_vjp",
        )


class Differentiated:
    """A function decorated with `@srcgrad.differentiate`: call it as before, plus
    `.grad(...)`, `.value_and_grad(...)`, `.source` and `.adjoint`."""

    def __init__(self, fn: Any, options: dict):
        _check_function(fn)
        self.__srcgrad_original__ = unwrap(fn)
        functools.update_wrapper(self, fn)
        self._options = options
        self.grad = GradFunction(fn, option_checks.normalise(fn, options))
        self.value_and_grad = GradFunction(fn, option_checks.normalise(fn, options, with_value=True))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__srcgrad_original__(*args, **kwargs)

    @property
    def source(self) -> str:
        return self.grad.source

    @property
    def adjoint(self) -> Callable:
        return self.grad._adjoint.compiled().function

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        return BoundDifferentiated(self, instance)


class BoundDifferentiated:
    """`model.loss` where `loss` is decorated with `@srcgrad.differentiate`: `model.loss(x)`,
    `model.loss.grad(x)`, `model.loss.value_and_grad(x)`, with `model` as `self`."""

    def __init__(self, differentiated: Differentiated, instance: Any):
        self.__self__, self._differentiated = instance, differentiated
        self.__func__ = differentiated.__srcgrad_original__  # srcgrad.grad(model.loss) takes it as a method
        functools.update_wrapper(self, self.__func__)
        self.grad = functools.partial(differentiated.grad, instance)
        self.value_and_grad = functools.partial(differentiated.value_and_grad, instance)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._differentiated(self.__self__, *args, **kwargs)

    @property
    def source(self) -> str:
        return self._differentiated.source


def differentiate(fn: Any = None, **options: Unpack[GradOptions]) -> Any:
    """Decorator: `@differentiate` or `@differentiate(wrt=..., ...)`. The function is called as before,
    and has `.grad(...)`, `.value_and_grad(...)`, `.source` (the adjoint's code) and `.adjoint`."""
    if fn is None:
        option_checks.normalise(None, options)  # fail at decoration time on a bad option
        return lambda f: Differentiated(f, options)
    option_checks.normalise(fn, options)
    return Differentiated(fn, options)
