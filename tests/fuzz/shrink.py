"""Delta debugging over a failing program's AST, and regression files.

`shrink(case, outcome, directory)` removes statements (whole chunks first, then one at
a time), inlines `if`/`for`/`while` bodies, drops helper functions and constants,
shortens `range(n)`, removes keyword arguments and replaces expressions by one of their
operands, keeping each edit only while the *same* oracle still fails (for an exception:
the same exception type) on the same inputs. The arguments, directions and seeds stay
fixed, so the result reproduces with the recorded values.

`save(case, outcome, path)` writes the program with a `FUZZ_CASE` literal at its end
(oracle, seed, inputs, wrt, options, directions, seeds); `load_regression(path)` reads
one back as a `Case` plus its metadata.
"""

from __future__ import annotations

import ast
import copy
import re
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .generator import Param
from .oracles import ORACLES, Case, Outcome, run_case

_STMT_FIELDS = ("body", "orelse")


def _stmt_lists(tree: ast.AST) -> list[tuple[ast.AST, str]]:
    out = []
    for node in ast.walk(tree):
        for name in _STMT_FIELDS:
            value = getattr(node, name, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                out.append((node, name))
    return out


def _expr_slots(tree: ast.AST) -> list[tuple[ast.AST, str, int | None]]:
    """Places holding a compound expression worth simplifying."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        for name, value in ast.iter_fields(node):
            if isinstance(node, ast.Call) and name == "func":
                continue
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                if isinstance(item, (ast.Call, ast.BinOp, ast.UnaryOp, ast.IfExp, ast.Subscript, ast.BoolOp)) and \
                        not isinstance(getattr(item, "ctx", None), ast.Store):
                    out.append((node, name, i if isinstance(value, list) else None))
    return out


def _children(e: ast.expr) -> list[ast.expr]:
    if isinstance(e, ast.Call):
        kids = [a for a in e.args if not isinstance(a, ast.Starred)] + [k.value for k in e.keywords]
        if isinstance(e.func, ast.Attribute) and not (isinstance(e.func.value, ast.Name) and e.func.value.id in ("np", "math")):
            kids.append(e.func.value)  # x.sum(axis=0) -> x
        return kids
    if isinstance(e, ast.BinOp):
        return [e.left, e.right]
    if isinstance(e, ast.UnaryOp):
        return [e.operand]
    if isinstance(e, ast.IfExp):
        return [e.body, e.orelse]
    if isinstance(e, ast.Subscript):
        return [e.value]
    if isinstance(e, ast.BoolOp):
        return list(e.values)
    return []


def _get(node: ast.AST, name: str, index: int | None) -> Any:
    value = getattr(node, name)
    return value[index] if index is not None else value


def _set(node: ast.AST, name: str, index: int | None, new: Any) -> None:
    if index is None:
        setattr(node, name, new)
    else:
        getattr(node, name)[index] = new


def _candidates(source: str) -> list[Callable[[ast.Module], bool]]:
    """Edits of the program, each a function applying itself to a fresh copy of the tree
    (addressed by position in a deterministic walk), cheapest and biggest first."""
    tree = ast.parse(source)
    edits: list[Callable[[ast.Module], bool]] = []
    lists = _stmt_lists(tree)

    def on_list(k: int, fn: Callable[[list], list | None]) -> Callable[[ast.Module], bool]:
        def apply(t: ast.Module) -> bool:
            node, name = _stmt_lists(t)[k]
            new = fn(list(getattr(node, name)))
            if new is None:
                return False
            if not new and name == "body":
                new = [ast.Pass()]
            setattr(node, name, new)
            return True
        return apply

    # chunks of statements (ddmin: halves, quarters, ...), then single statements
    for k, (node, name) in enumerate(lists):
        stmts = getattr(node, name)
        n = len(stmts)
        size = n // 2
        while size >= 2:
            for start in range(0, n, size):
                def drop(s: list, start=start, size=size, n=n) -> list | None:
                    if len(s) != n:
                        return None
                    kept = [x for i, x in enumerate(s) if not (start <= i < start + size) or isinstance(x, (ast.Import, ast.ImportFrom))]
                    return kept if len(kept) < len(s) else None
                edits.append(on_list(k, drop))
            size //= 2
    for k, (node, name) in enumerate(lists):
        for i, stmt in enumerate(getattr(node, name)):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)) or (isinstance(stmt, ast.FunctionDef) and stmt.name == "f"):
                continue
            edits.append(on_list(k, lambda s, i=i: s[:i] + s[i + 1:] if i < len(s) else None))
            if isinstance(stmt, (ast.If, ast.For, ast.While)):
                def inline(s: list, i=i, field="body") -> list | None:
                    if i >= len(s) or not isinstance(s[i], (ast.If, ast.For, ast.While)):
                        return None
                    st = s[i]
                    pre: list = []
                    if isinstance(st, ast.For):  # bind the loop target to something
                        pre = [ast.Assign(targets=[st.target], value=_first_item(st.iter), lineno=0)]
                    body = [b for b in getattr(st, field) if not isinstance(b, (ast.Break, ast.Continue))]
                    return s[:i] + pre + body + s[i + 1:]
                edits.append(on_list(k, inline))
                if isinstance(stmt, ast.If) and stmt.orelse:
                    edits.append(on_list(k, lambda s, i=i: inline(s, i, "orelse")))
                    edits.append(on_list(k, lambda s, i=i: (s[:i] + [_without_else(s[i])] + s[i + 1:])
                                         if i < len(s) and isinstance(s[i], ast.If) else None))
    # `a = b` (a name for a name) removed, later uses of `a` reading `b`
    for k, (node, name) in enumerate(lists):
        for i, stmt in enumerate(getattr(node, name)):
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                    and isinstance(stmt.value, ast.Name):
                def rename(t: ast.Module, k=k, i=i, old=stmt.targets[0].id, new=stmt.value.id) -> bool:
                    node, name = _stmt_lists(t)[k]
                    body = getattr(node, name)
                    if i >= len(body):
                        return False
                    del body[i]
                    if not body and name == "body":
                        body.append(ast.Pass())
                    for later in body[i:]:
                        for n in ast.walk(later):
                            if isinstance(n, ast.Name) and n.id == old:
                                n.id = new
                    return True
                edits.append(rename)
    # range(n) -> range(1)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "range"]
    for k, call in enumerate(calls):
        if call.args and isinstance(call.args[0], ast.Constant) and call.args[0].value not in (0, 1):
            def shorter(t: ast.Module, k=k) -> bool:
                c = [n for n in ast.walk(t) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "range"]
                if k >= len(c):
                    return False
                c[k].args[0] = ast.Constant(1)
                return True
            edits.append(shorter)
    # expressions -> one of their operands, keyword arguments dropped
    slots = _expr_slots(tree)
    for k, (node, name, index) in enumerate(slots):
        e = _get(node, name, index)
        for j in range(len(_children(e))):
            def simplify(t: ast.Module, k=k, j=j) -> bool:
                s = _expr_slots(t)
                if k >= len(s):
                    return False
                node, name, index = s[k]
                kids = _children(_get(node, name, index))
                if j >= len(kids):
                    return False
                _set(node, name, index, copy.deepcopy(kids[j]))
                return True
            edits.append(simplify)
        if isinstance(e, ast.Call) and e.keywords:
            def no_kw(t: ast.Module, k=k) -> bool:
                s = _expr_slots(t)
                if k >= len(s):
                    return False
                call = _get(*s[k])
                if not isinstance(call, ast.Call) or not call.keywords:
                    return False
                call.keywords = call.keywords[:-1]
                return True
            edits.append(no_kw)
    return edits


def _first_item(it: ast.expr) -> ast.expr:
    if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id in ("range", "reversed"):
        return ast.Constant(0)
    if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "enumerate":
        return ast.Tuple(elts=[ast.Constant(0), ast.Subscript(value=it.args[0], slice=ast.Constant(0), ctx=ast.Load())], ctx=ast.Load())
    return ast.Subscript(value=it, slice=ast.Constant(0), ctx=ast.Load())


def _without_else(st: ast.If) -> ast.If:
    st = copy.deepcopy(st)
    st.orelse = []
    return st


def same_failure(a: Outcome, b: Outcome) -> bool:
    if b.status != "failed" or a.oracle != b.oracle:
        return False
    raised = a.oracle == "exception" or " raised " in a.detail
    if raised:
        return _signature(a.detail) == _signature(b.detail)
    return " raised " not in b.detail


def _signature(detail: str) -> str:
    """An exception's type and message, without numbers, names in quotes or its location."""
    text = detail.split(" [at ")[0]
    text = re.sub(r"'[^']*'", "'?'", text)
    text = re.sub(r"np\.float64\([^)]*\)|[-+]?\d+(\.\d*)?(e[-+]?\d+)?", "#", text)
    return text[:120]


def _clean(source: str) -> str:
    return ast.unparse(ast.parse(source)) + "\n"


def shrink(case: Case, outcome: Outcome, directory: Path, *, budget_s: float = 180, max_tries: int = 1500,
           log: Callable[[str], None] | None = None) -> tuple[Case, Outcome]:
    """A smaller case failing the same oracle (`case` itself if nothing smaller does)."""
    only = _only(outcome.oracle)
    best, best_outcome = case, outcome
    current = _clean(case.source)
    start, tries = time.monotonic(), 0
    trial = replace_source(case, current)
    o = run_case(trial, directory, only=only, timeout=60)
    if same_failure(outcome, o):
        best, best_outcome = trial, o
    else:
        current = case.source
    improved = True
    while improved and time.monotonic() - start < budget_s and tries < max_tries:
        improved = False
        for edit in _candidates(current):
            if time.monotonic() - start > budget_s or tries >= max_tries:
                break
            tree = ast.parse(current)
            try:
                if not edit(tree):
                    continue
                ast.fix_missing_locations(tree)
                text = ast.unparse(tree) + "\n"
            except Exception:
                continue
            if text == current or len(text) >= len(current):
                continue
            tries += 1
            trial = replace_source(case, text)
            o = run_case(trial, directory, only=only, timeout=60)
            if same_failure(outcome, o):
                current, best, best_outcome = text, trial, o
                improved = True
                if log:
                    log(f"  shrunk to {len(text)} chars")
                break  # the edit list is stale: recompute it on the smaller program
    return best, best_outcome


def _only(oracle: str) -> tuple:
    if oracle in ("value", "mutation", "shape_dtype", "fd", "exception", "timeout"):
        return ("value", "mutation", "shape_dtype", "fd")
    if oracle == "optimize":
        return ("value", "mutation", "shape_dtype", "optimize")
    if oracle == "hvp":
        return ("hvp",)
    if oracle == "jvp":
        return ("value", "mutation", "shape_dtype", "jvp")
    return ORACLES


def replace_source(case: Case, source: str) -> Case:
    c = copy.copy(case)
    c.source = source
    return c


# --- regression files ----------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if value is None:
        return None
    if type(value) is float:
        return ("float", value)
    if isinstance(value, np.float64) and not isinstance(value, np.ndarray):
        return ("np64", float(value))
    if isinstance(value, np.ndarray):
        return ("array", value.tolist(), list(value.shape))
    if isinstance(value, tuple):
        return ("tuple", [_encode(v) for v in value])
    raise TypeError(f"cannot record {value!r}")


def _decode(value: Any) -> Any:
    if value is None:
        return None
    tag = value[0]
    if tag == "float":
        return float(value[1])
    if tag == "np64":
        return np.float64(value[1])
    if tag == "array":
        return np.array(value[1], dtype=np.float64).reshape(value[2])
    if tag == "tuple":
        return tuple(_decode(v) for v in value[1])
    raise ValueError(tag)


def save(case: Case, outcome: Outcome, path: Path, reason: str = "") -> Path:
    meta = {
        "oracle": outcome.oracle,
        "detail": outcome.detail[:500],
        "reason": reason,
        "seed": case.seed,
        "mode": case.mode,
        "wrt": case.wrt,
        "options": case.options,
        "params": [(p.name, list(p.shape), p.kind) for p in case.params],
        "args": [_encode(a) for a in case.args],
        "directions": [_encode(v) for v in case.directions],
        "hvp_directions": [_encode(v) for v in case.hvp_directions],
        "grad_ys": _encode(case.grad_ys),
        "use_seeds": case.use_seeds,
    }
    text = case.source.rstrip("\n") + "\n\n\n# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.\n"
    text += f"FUZZ_CASE = {meta!r}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_regression(path: Path) -> tuple[Case, dict]:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    meta = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "FUZZ_CASE":
            meta = ast.literal_eval(node.value)
    if meta is None:
        raise ValueError(f"{path}: no FUZZ_CASE")
    source = text.split("\n\n\n# Recorded by tests/fuzz")[0] + "\n"
    params = [Param(n, tuple(s), k) for n, s, k in meta["params"]]
    case = Case(source, params, meta["wrt"], meta["options"], tuple(_decode(a) for a in meta["args"]),
                [_decode(v) for v in meta["directions"]], [_decode(v) for v in meta["hvp_directions"]],
                _decode(meta["grad_ys"]), meta["use_seeds"], meta["mode"], meta["seed"])
    return case, meta
