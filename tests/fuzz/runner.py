"""Running many programs (in worker processes) and summarising the outcomes.

Shared by `tests/test_fuzz.py` and `scripts/fuzz.py`: `run_many(seeds, ...)` returns one
`Result` per seed; `summary(results)` counts outcomes, refusal reasons, notes and
construct coverage.
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from . import generator, oracles

_DIR: Path | None = None

COVERAGE = {
    "loops": ("loop",),
    "for": ("for",),
    "while": ("while",),
    "branches": ("branch",),
    "helpers": ("helper_call",),
    "keyword args": ("keyword_arg",),
    "closures": ("closure_call", "closure_alias"),
    "item writes": ("item_write",),
    "mask writes": ("mask_write",),
    "break": ("break",),
    "continue": ("continue",),
    "early return": ("early_return",),
    "lists": ("list", "list_literal"),
    "list append": ("list_append",),
    "tuples": ("tuple", "tuple_index", "unpack"),
    "subscripts/slices": ("subscript",),
    "reductions with axis": ("reduction_axis",),
    "matmul/dot": ("matmul",),
    "einsum": ("einsum",),
    "where": ("where",),
    "maximum/minimum": ("maximum",),
    "math module": ("math",),
    "conditional expr": ("ifexp",),
    "tuple return": ("tuple_return",),
    "array return": ("array_return",),
    "aliasing": ("alias",),
}


@dataclass
class Result:
    seed: int
    mode: str
    status: str
    oracle: str
    detail: str
    notes: list
    features: set

    @property
    def key(self) -> str:
        return f"{self.status}:{self.oracle}" if self.oracle else self.status


def hvp_for(seed: int, every: int) -> bool:
    return every > 0 and seed % every == 0


def checks_for(seed: int, optimize_every: int, jvp_every: int = 1) -> tuple:
    """The oracles for `seed`: the costly ones (`optimize=False`, forward mode) on every K-th seed
    only (forward mode on seeds apart from optimize's where both run on every 4th, say)."""
    skip = set()
    if not (optimize_every > 0 and seed % optimize_every == 0):
        skip.add("optimize")
    if not (jvp_every > 0 and seed % jvp_every == jvp_every // 2):
        skip.add("jvp")
    return tuple(o for o in oracles.ORACLES if o not in skip)


def _directory() -> Path:
    global _DIR
    if _DIR is None:
        _DIR = Path(tempfile.mkdtemp(prefix="srcgrad-fuzz-programs-"))
    return _DIR


def run_one(seed: int, aliasing: bool = False, hvp_every: int = 1, optimize_every: int = 1, timeout: float = 120,
            user_functions: tuple = (), user_imports: tuple = (), jvp_every: int = 1) -> Result:
    program = generator.generate(seed, aliasing=aliasing, user_functions=user_functions, user_imports=user_imports)
    case = oracles.make_case(program)
    outcome = oracles.run_case(case, _directory(), only=checks_for(seed, optimize_every, jvp_every),
                               second_order=hvp_for(seed, hvp_every), timeout=timeout)
    return Result(seed, program.mode, outcome.status, outcome.oracle, outcome.detail, outcome.notes, program.features)


def _work(job: tuple) -> Result:
    seed, kwargs = job
    return run_one(seed, **kwargs)


def _init() -> None:
    if "SRCGRAD_CACHE_DIR" not in os.environ:
        os.environ["SRCGRAD_CACHE_DIR"] = tempfile.mkdtemp(prefix="srcgrad-fuzz-cache-")


def run_many(seeds: Iterable[int], jobs: int = 1, progress=None, **kwargs) -> list[Result]:
    seeds = list(seeds)
    jobs_list = [(s, kwargs) for s in seeds]
    results: list[Result] = []
    if jobs <= 1 or len(seeds) < 2:
        for job in jobs_list:
            results.append(_work(job))
            if progress:
                progress(results[-1], len(results), len(seeds))
        return results
    ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else multiprocessing.get_context()
    with ctx.Pool(jobs, initializer=_init, maxtasksperchild=150) as pool:
        for r in pool.imap_unordered(_work, jobs_list, chunksize=4):
            results.append(r)
            if progress:
                progress(r, len(results), len(seeds))
    results.sort(key=lambda r: r.seed)
    return results


def summary(results: list[Result]) -> dict:
    counts = collections.Counter(r.key for r in results)
    refusals = collections.Counter(r.detail for r in results if r.status == "refused")
    notes = collections.Counter(n.split(":")[0] for r in results for n in r.notes)
    second_refusals = collections.Counter(n.split(": ", 1)[1] for r in results for n in r.notes if n.startswith("second_order_refused"))
    n = max(1, len(results))
    coverage = {name: sum(1 for r in results if r.features & set(tags)) / n for name, tags in COVERAGE.items()}
    return {"programs": len(results), "counts": dict(counts), "refusals": dict(refusals), "notes": dict(notes),
            "second_order_refusals": dict(second_refusals), "coverage": coverage}
