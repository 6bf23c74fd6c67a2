"""Long fuzzing runs: random programs through srcgrad's differential oracles.

    python scripts/fuzz.py --programs 20000 --seed 0 --jobs 2
    python scripts/fuzz.py --programs 2000 --seed 0 --jobs 2 --aliasing

Prints the counts per outcome (passed / refused / dropped / failed per oracle), the
refusal reasons, construct coverage, and for each distinct failure (by oracle and
exception signature) a shrunk reproducer with its inputs. `--save DIR` writes the
shrunk reproducers as regression files (`<oracle>_<seed>.py`, the format
tests/test_fuzz.py re-runs from tests/fuzz/regressions/); `--json FILE` writes the
summary and every failure.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("SRCGRAD_CACHE_DIR", tempfile.mkdtemp(prefix="srcgrad-fuzz-cache-"))

from fuzz import generator, oracles, runner, shrink  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--programs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0, help="the first seed (programs use seed, seed+1, ...)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--aliasing", action="store_true", help="generate view/alias programs; values compared bit for bit")
    ap.add_argument("--hvp-every", type=int, default=1, help="the second-order oracle on every K-th seed (0: never)")
    ap.add_argument("--optimize-every", type=int, default=1, help="the optimize=False oracle on every K-th seed")
    ap.add_argument("--jvp-every", type=int, default=1, help="the forward-mode oracle on every K-th seed")
    ap.add_argument("--shrink", type=int, default=2, help="shrink up to this many failures per distinct failure")
    ap.add_argument("--shrink-budget", type=float, default=180, help="seconds per shrink")
    ap.add_argument("--save", type=Path, default=None, help="directory for shrunk regression files")
    ap.add_argument("--json", type=Path, default=None, help="write the summary and failures as JSON")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    seeds = range(args.seed, args.seed + args.programs)
    start = time.monotonic()

    def progress(r: runner.Result, done: int, total: int) -> None:
        if r.status in ("failed", "invalid") and not args.quiet:
            print(f"  seed {r.seed}: {r.key}: {r.detail[:160]}", flush=True)
        if done % 500 == 0 or done == total:
            print(f"[{done}/{total}] {time.monotonic() - start:.0f}s", flush=True)

    results = runner.run_many(seeds, jobs=args.jobs, progress=progress, aliasing=args.aliasing,
                              hvp_every=args.hvp_every, optimize_every=args.optimize_every,
                              jvp_every=args.jvp_every)
    elapsed = time.monotonic() - start
    s = runner.summary(results)
    print(f"\n{len(results)} programs ({'aliasing' if args.aliasing else 'normal'} mode, seeds {args.seed}.."
          f"{args.seed + args.programs - 1}) in {elapsed:.0f}s")
    print("\noutcomes:")
    for k, v in sorted(s["counts"].items(), key=lambda kv: -kv[1]):
        print(f"  {v:7d}  {k}")
    if s["refusals"]:
        print("\nrefusal reasons:")
        for k, v in sorted(s["refusals"].items(), key=lambda kv: -kv[1])[:25]:
            print(f"  {v:7d}  {k}")
    if s["notes"]:
        print("\nnotes:")
        for k, v in sorted(s["notes"].items(), key=lambda kv: -kv[1]):
            print(f"  {v:7d}  {k}")
    if s["second_order_refusals"]:
        print("\nsecond-order refusals:")
        for k, v in sorted(s["second_order_refusals"].items(), key=lambda kv: -kv[1])[:15]:
            print(f"  {v:7d}  {k}")
    print("\nconstruct coverage (fraction of programs):")
    for k, v in s["coverage"].items():
        print(f"  {v:6.1%}  {k}")

    failures = [r for r in results if r.status in ("failed", "invalid")]
    groups: dict[tuple, list] = collections.defaultdict(list)
    for r in failures:
        sig = shrink._signature(r.detail) if (r.oracle == "exception" or " raised " in r.detail) else ""
        groups[(r.key, sig)].append(r)
    reproducers = []
    if groups:
        print(f"\n{len(failures)} failures in {len(groups)} groups:")
    directory = Path(tempfile.mkdtemp(prefix="srcgrad-fuzz-shrink-"))
    for (key, sig), members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        print(f"\n=== {key} {sig} ({len(members)} programs: seeds {', '.join(str(m.seed) for m in members[:20])}"
              f"{' ...' if len(members) > 20 else ''})")
        for r in members[: args.shrink]:
            program = generator.generate(r.seed, aliasing=args.aliasing)
            case = oracles.make_case(program)
            outcome = oracles.run_case(case, directory, only=runner.checks_for(r.seed, args.optimize_every, args.jvp_every),
                                       second_order=runner.hvp_for(r.seed, args.hvp_every), timeout=120)
            if outcome.status != "failed":
                print(f"  seed {r.seed}: does not reproduce in this process ({outcome.key})")
                continue
            small, small_outcome = shrink.shrink(case, outcome, directory, budget_s=args.shrink_budget)
            print(f"--- seed {r.seed}, shrunk ({small_outcome.key}): {small_outcome.detail[:300]}")
            print(small.source.rstrip())
            print(f"# args = {small.args!r}")
            print(f"# wrt = {small.wrt!r}, options = {small.options!r}, grad_ys = {small.grad_ys!r}")
            if small_outcome.oracle == "fd":
                print(f"# fd direction = {small.directions!r}")
            if small_outcome.oracle == "hvp":
                print(f"# hvp: v = {small.directions!r}, w = {small.hvp_directions!r}")
            reproducers.append({"seed": r.seed, "key": key, "signature": sig, "detail": small_outcome.detail,
                                "source": small.source, "args": repr(small.args), "wrt": repr(small.wrt),
                                "options": small.options, "grad_ys": repr(small.grad_ys)})
            if args.save:
                path = shrink.save(small, small_outcome, args.save / f"{small_outcome.oracle}_{r.seed}.py")
                print(f"# saved {path}")
    if args.json:
        args.json.write_text(json.dumps({"summary": s, "elapsed_s": elapsed,
                                         "failures": [vars(r) | {"features": sorted(r.features)} for r in failures],
                                         "reproducers": reproducers}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
