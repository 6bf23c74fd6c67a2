"""Generate docs/numpy-coverage.md from srcgrad's rule table. Never edit that file by hand.

    python scripts/gen_numpy_coverage.py           # rewrite docs/numpy-coverage.md
    python scripts/gen_numpy_coverage.py --check   # exit 1 when the committed table is stale

`SCOPE` lists the NumPy, `math` and `scipy.special` callables srcgrad means to
differentiate (or to declare non-differentiable), family by family. Each is
looked up in the rule table: a rule, a zero gradient (piecewise constant), no
gradient (integer or boolean results, shapes, constructors), or missing.
`KNOWN_MISSING` says why each missing one is; tests/test_registry.py fails
when something in scope is missing without a reason here, or has a reason
here but no longer is missing. The table ends with every other callable the
rule table knows (operators, builtins, srcgrad's helpers).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "docs" / "numpy-coverage.md"
sys.path.insert(0, str(ROOT))

SCOPE: dict[str, list[str]] = {
    "Ufuncs: arithmetic and powers": [
        "np.add", "np.subtract", "np.multiply", "np.divide", "np.negative", "np.positive", "np.power",
        "np.float_power", "np.square", "np.sqrt", "np.cbrt", "np.reciprocal", "np.absolute", "np.fabs",
        "np.remainder", "np.fmod", "np.divmod", "np.modf", "np.frexp", "np.ldexp", "np.copysign", "np.nextafter",
        "np.conjugate", "np.matmul", "np.vecdot", "np.matvec", "np.vecmat",
    ],
    "Ufuncs: exponentials and logarithms": [
        "np.exp", "np.exp2", "np.expm1", "np.log", "np.log2", "np.log10", "np.log1p", "np.logaddexp",
        "np.logaddexp2",
    ],
    "Ufuncs: trigonometric and hyperbolic": [
        "np.sin", "np.cos", "np.tan", "np.arcsin", "np.arccos", "np.arctan", "np.arctan2", "np.hypot", "np.sinh",
        "np.cosh", "np.tanh", "np.arcsinh", "np.arccosh", "np.arctanh", "np.deg2rad", "np.rad2deg", "np.radians",
        "np.degrees",
    ],
    "Ufuncs: selections and comparisons": [
        "np.maximum", "np.minimum", "np.fmax", "np.fmin", "np.greater", "np.greater_equal", "np.less",
        "np.less_equal", "np.equal", "np.not_equal", "np.logical_and", "np.logical_or", "np.logical_xor",
        "np.logical_not", "np.isnan", "np.isinf", "np.isfinite", "np.isnat", "np.signbit",
    ],
    "Ufuncs: piecewise constant and integer": [
        "np.sign", "np.floor", "np.ceil", "np.rint", "np.trunc", "np.floor_divide", "np.heaviside", "np.spacing",
        "np.bitwise_and", "np.bitwise_or", "np.bitwise_xor", "np.invert", "np.left_shift", "np.right_shift",
        "np.bitwise_count", "np.gcd", "np.lcm",
    ],
    "Other elementwise functions": [
        "np.clip", "np.sinc", "np.nan_to_num", "np.real", "np.imag", "np.real_if_close", "np.around", "np.round",
        "np.fix", "np.i0", "np.angle", "np.unwrap", "np.interp", "np.isneginf", "np.isposinf", "np.isreal",
        "np.iscomplex", "np.isclose",
    ],
    "Reductions and scans": [
        "np.sum", "np.mean", "np.prod", "np.max", "np.min", "np.amax", "np.amin", "np.var", "np.std", "np.ptp",
        "np.median", "np.average", "np.nansum", "np.nanmean", "np.nanprod", "np.nanmax", "np.nanmin", "np.nanvar",
        "np.nanstd", "np.nanmedian", "np.quantile", "np.percentile", "np.nanquantile", "np.nanpercentile",
        "np.cumsum", "np.cumprod", "np.cumulative_sum", "np.cumulative_prod", "np.nancumsum", "np.nancumprod",
        "np.diff", "np.ediff1d", "np.gradient", "np.trapezoid", "np.convolve", "np.correlate", "np.all", "np.any",
        "np.count_nonzero", "np.allclose", "np.array_equal", "np.array_equiv",
    ],
    "Products and contractions": [
        "np.dot", "np.vdot", "np.inner", "np.outer", "np.tensordot", "np.einsum", "np.kron", "np.cross",
        "np.trace", "np.diag", "np.diagonal", "np.diagflat", "np.tril", "np.triu", "np.matrix_transpose",
    ],
    "np.linalg": [
        "np.linalg.inv", "np.linalg.solve", "np.linalg.det", "np.linalg.slogdet", "np.linalg.cholesky",
        "np.linalg.eigh", "np.linalg.eigvalsh", "np.linalg.eig", "np.linalg.eigvals", "np.linalg.svd",
        "np.linalg.svdvals", "np.linalg.qr", "np.linalg.pinv", "np.linalg.matrix_power", "np.linalg.norm",
        "np.linalg.vector_norm", "np.linalg.matrix_norm", "np.linalg.lstsq", "np.linalg.multi_dot",
        "np.linalg.tensorsolve", "np.linalg.tensorinv", "np.linalg.cond", "np.linalg.matrix_rank",
        "np.linalg.trace", "np.linalg.diagonal", "np.linalg.cross", "np.linalg.outer", "np.linalg.tensordot",
        "np.linalg.matmul", "np.linalg.matrix_transpose", "np.linalg.vecdot",
    ],
    "Shapes: the same elements rearranged": [
        "np.reshape", "np.ravel", "np.transpose", "np.swapaxes", "np.moveaxis", "np.rollaxis", "np.expand_dims",
        "np.squeeze", "np.atleast_1d", "np.atleast_2d", "np.atleast_3d", "np.broadcast_to", "np.broadcast_arrays",
        "np.meshgrid", "np.flip", "np.fliplr", "np.flipud", "np.rot90", "np.roll", "np.copy", "np.array",
        "np.asarray", "np.asanyarray", "np.ascontiguousarray", "np.asfortranarray", "np.astype", "np.resize",
    ],
    "Shapes: joining and splitting": [
        "np.concatenate", "np.stack", "np.vstack", "np.hstack", "np.dstack", "np.column_stack", "np.row_stack",
        "np.block", "np.append", "np.insert", "np.delete", "np.split", "np.array_split", "np.hsplit",
        "np.vsplit", "np.dsplit", "np.unstack", "np.tile", "np.repeat", "np.pad", "np.trim_zeros",
    ],
    "Selecting and sorting": [
        "np.where", "np.select", "np.choose", "np.piecewise", "np.take", "np.take_along_axis", "np.compress",
        "np.extract", "np.sort", "np.partition", "np.argsort", "np.argpartition", "np.lexsort", "np.argmax",
        "np.argmin", "np.nanargmax", "np.nanargmin", "np.nonzero", "np.flatnonzero", "np.argwhere",
        "np.searchsorted", "np.digitize", "np.isin", "np.unique", "np.histogram", "np.bincount",
    ],
    "Shapes, indices and constructors (no gradient)": [
        "np.shape", "np.ndim", "np.size", "np.result_type", "np.broadcast_shapes", "np.unravel_index",
        "np.ravel_multi_index", "np.indices", "np.diag_indices", "np.diag_indices_from", "np.tril_indices",
        "np.triu_indices", "np.tril_indices_from", "np.triu_indices_from", "np.zeros", "np.ones", "np.empty",
        "np.full", "np.zeros_like", "np.ones_like", "np.empty_like", "np.full_like", "np.arange", "np.linspace",
        "np.logspace", "np.geomspace", "np.eye", "np.identity", "np.tri", "np.iscomplexobj", "np.isrealobj",
        "np.isscalar",
    ],
    "The math module": [
        "math.sin", "math.cos", "math.tan", "math.asin", "math.acos", "math.atan", "math.atan2", "math.sinh",
        "math.cosh", "math.tanh", "math.asinh", "math.acosh", "math.atanh", "math.exp", "math.exp2", "math.expm1",
        "math.log", "math.log2", "math.log10", "math.log1p", "math.sqrt", "math.cbrt", "math.pow", "math.fabs",
        "math.hypot", "math.copysign", "math.fmod", "math.remainder", "math.ldexp", "math.degrees",
        "math.radians", "math.erf", "math.erfc", "math.gamma", "math.lgamma", "math.floor", "math.ceil",
        "math.trunc", "math.isnan", "math.isinf", "math.isfinite", "math.isclose", "math.fsum", "math.prod",
        "math.dist", "math.frexp", "math.modf",
    ],
    "scipy.special (when SciPy is installed)": [
        "scipy.special.expit", "scipy.special.logit", "scipy.special.log_expit", "scipy.special.logsumexp",
        "scipy.special.softmax", "scipy.special.log_softmax", "scipy.special.erf", "scipy.special.erfc",
        "scipy.special.erfcx", "scipy.special.erfinv", "scipy.special.erfcinv", "scipy.special.ndtr",
        "scipy.special.log_ndtr", "scipy.special.ndtri", "scipy.special.gamma", "scipy.special.gammaln",
        "scipy.special.digamma", "scipy.special.polygamma", "scipy.special.zeta", "scipy.special.beta",
        "scipy.special.betaln", "scipy.special.xlogy", "scipy.special.xlog1py", "scipy.special.entr",
        "scipy.special.exp10", "scipy.special.exp2", "scipy.special.expm1", "scipy.special.log1p",
        "scipy.special.cbrt", "scipy.special.rel_entr", "scipy.special.kl_div", "scipy.special.i0",
        "scipy.special.i1", "scipy.special.iv", "scipy.special.gammainc", "scipy.special.gammaincc",
    ],
}  # fmt: skip

KNOWN_MISSING: dict[str, str] = {
    "np.i0": "the derivative is the Bessel function i1, which NumPy lacks",
    "np.angle": "complex inputs are out of scope (real gradients only)",
    "np.unwrap": "not written yet: the jumps it removes are piecewise constant, the rest is the identity",
    "np.interp": "not written yet: needs the slope of the segment each x falls in",
    "np.nanmedian": "not written yet: median_weights would have to skip NaNs",
    "np.quantile": "not written yet: the interpolation weights depend on method= and on array-valued q",
    "np.percentile": "as np.quantile",
    "np.nanquantile": "as np.quantile",
    "np.nanpercentile": "as np.quantile",
    "np.ediff1d": "not written yet: diff of the flattened array with to_begin/to_end",
    "np.convolve": "not written yet: the mode= crops need run-time lengths",
    "np.correlate": "as np.convolve",
    "np.linalg.eig": "eigenvalues of a general real matrix are complex",
    "np.linalg.eigvals": "as np.linalg.eig",
    "np.linalg.lstsq": "not written yet: four outputs, the rank and singular values depend on rcond",
    "np.linalg.tensorsolve": "not written yet: solve after run-time reshapes",
    "np.linalg.tensorinv": "not written yet: inv after run-time reshapes",
    "np.resize": "not written yet: repeats and truncates the flattened array",
    "np.block": "not written yet: nested lists of blocks",
    "np.trim_zeros": "the trimmed length depends on the values",
    "np.piecewise": "takes Python functions to apply; write the cases with np.where",
    "np.unique": "not written yet: each unique value's cotangent would go to its first occurrence",
    "np.histogram": "the bin edges depend on min and max of the data; counts carry no gradient",
    "np.bincount": "not written yet: the weights= argument is differentiable",
    "math.fsum": "not written yet: takes an iterable (use the builtin sum)",
    "math.prod": "not written yet: takes an iterable",
    "math.dist": "not written yet: takes two sequences of coordinates",
    "scipy.special.gammainc": "the derivative in the shape parameter has no closed form",
    "scipy.special.gammaincc": "as scipy.special.gammainc",
}


def resolve(dotted: str) -> Any:
    """The object a dotted name means, or None when this NumPy/SciPy/Python lacks it."""
    module_name, _, attr = dotted.rpartition(".")
    module_name = {"np": "numpy", "np.linalg": "numpy.linalg"}.get(module_name, module_name)
    try:
        return getattr(importlib.import_module(module_name), attr, None)
    except ImportError:
        return None


def status(obj: Any) -> tuple[str, str]:
    """(kind, where): kind is "rule", "zero gradient", "no gradient" or "missing"."""
    from srcgrad.rules import is_nondifferentiable, lookup

    rule = lookup(obj)
    if rule is not None and rule.user:  # registered by a program at run time: not srcgrad's table
        rule = None
    if rule is not None and rule.zero:
        return "zero gradient", ""
    if rule is not None:
        first = next((p for p in rule.partials if p is not None), rule.whole)
        module = getattr(first, "__module__", "") or ""
        return "rule", module.rsplit(".", 1)[-1]
    if is_nondifferentiable(obj):
        return "no gradient", ""
    from srcgrad.rules.numpy_definitions import DEFINITIONS

    if obj in DEFINITIONS:
        return "definition", " ".join((DEFINITIONS[obj].__doc__ or "").split("\n\n")[0].split())
    return "missing", ""


def spelling(obj: Any) -> str:
    """How a callable of the rule table is written in source."""
    import builtins
    import math
    import operator

    import numpy as np

    name = getattr(obj, "__name__", repr(obj))
    for prefix, module in (("np.", np), ("np.linalg.", np.linalg), ("math.", math), ("operator.", operator)):
        if getattr(module, name, None) is obj:
            return prefix + name
    if getattr(builtins, name, None) is obj:
        return name
    try:
        from scipy import special

        if getattr(special, name, None) is obj:
            return "scipy.special." + name
    except ImportError:
        pass
    if type(obj).__name__ == "Method":
        return f"ndarray.{name} (method)"
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', name)}"


NEEDS_SCIPY = {"math.gamma", "math.lgamma"}
"""Their rules use scipy.special.digamma: in scope only where SciPy is installed."""


def in_scope() -> list[tuple[str, str, Any]]:
    """(family, dotted name, object) for every name of SCOPE this installation has."""
    scipy = resolve("scipy.special.digamma") is not None
    return [
        (family, name, obj)
        for family, names in SCOPE.items()
        for name in names
        if (obj := resolve(name)) is not None and (scipy or name not in NEEDS_SCIPY)
    ]


def missing() -> dict[str, Any]:
    return {name: obj for _, name, obj in in_scope() if status(obj)[0] == "missing"}


def versions() -> str:
    """What the table depends on besides srcgrad: which callables exist (e.g. math.cbrt is new in 3.11)."""
    import numpy as np

    try:
        import scipy

        scipy_version = f"SciPy {'.'.join(scipy.__version__.split('.')[:2])}"
    except ImportError:
        scipy_version = "no SciPy"
    python = ".".join(map(str, sys.version_info[:2]))
    return f"Python {python}, NumPy {'.'.join(np.__version__.split('.')[:2])} and {scipy_version}"


def load_every_rule() -> None:
    """Import every srcgrad module: the rule table is what all of them register (srcgrad.nn adds some)."""
    import pkgutil

    import srcgrad
    from srcgrad.rules import load_builtin_rules

    load_builtin_rules()
    for module in pkgutil.walk_packages(srcgrad.__path__, "srcgrad."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)


def render() -> str:
    from srcgrad.rules import registry

    load_every_rule()
    rows = in_scope()
    kinds = [status(obj)[0] for _, _, obj in rows]
    lines = [
        "# NumPy coverage of srcgrad's derivative rules",
        "",
        "<!-- Generated by scripts/gen_numpy_coverage.py from the rule table; do not edit by hand. -->",
        "",
        f"Generated with {versions()}. "
        "Each callable in scope is one of: **rule** (the module that holds it), **zero gradient** "
        "(piecewise constant: a gradient through it is zeros), **definition** (differentiated through "
        "as the NumPy code it is, in `rules/numpy_definitions.py`), **no gradient** (integer or boolean "
        "results, shapes, constructors: nothing flows back), or **missing** (a call on a path to the "
        "output raises `NoGradientError`; register a rule with `srcgrad.register_vjp`).",
        "",
        f"In scope: {len(rows)} callables: {kinds.count('rule')} with a rule, {kinds.count('zero gradient')} "
        f"with a zero gradient, {kinds.count('definition')} by definition, {kinds.count('no gradient')} with no gradient, "
        f"{kinds.count('missing')} missing.",
        "",
    ]
    seen = set()
    for family in SCOPE:
        lines += [f"## {family}", "", "| callable | derivative |", "|---|---|"]
        for fam, name, obj in rows:
            if fam != family:
                continue
            seen.add(id(obj))
            kind, where = status(obj)
            if kind == "rule":
                cell = f"rule ({where})"
            elif kind == "definition":
                cell = f"definition (numpy_definitions: differentiated through as NumPy code{': ' + where if where else ''})"
            elif kind == "missing":
                cell = f"**missing**: {KNOWN_MISSING.get(name, 'no reason given')}"
            else:
                cell = kind
            lines.append(f"| `{name}` | {cell} |")
        lines.append("")
    builtin = [fn for fn, vjp in registry.registered().items() if not vjp.user]
    others = sorted(
        {spelling(fn): status(fn) for fn in [*builtin, *registry.nondifferentiable_callees()] if id(fn) not in seen}.items()
    )
    lines += [
        "## Everything else in the rule table",
        "",
        "Aliases of the callables above, Python operators and builtins, and srcgrad's own run-time "
        "helpers (their rules make gradients of gradients work).",
        "",
        "| callable | derivative |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {f'rule ({where})' if kind == 'rule' else kind} |" for name, (kind, where) in others]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/numpy-coverage.md is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not TABLE.exists() or TABLE.read_text() != text:
            print(f"{TABLE.relative_to(ROOT)} is stale: run python scripts/gen_numpy_coverage.py", file=sys.stderr)
            return 1
        return 0
    TABLE.write_text(text)
    print(f"wrote {TABLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
