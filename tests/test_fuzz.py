"""The random-program fuzzer (tests/fuzz) in CI: 1,000 generated programs with fixed seeds
through the differential oracles, the saved shrunk regressions, and a check that the
oracles can fail at all (a deliberately wrong derivative rule must be flagged).

Each program is checked for its value, argument mutation, gradient shapes and dtypes and
finite differences; every OPTIMIZE_EVERY-th also against `optimize=False`, every
HVP_EVERY-th also for a Hessian-vector product (the second-order compile is the
expensive part). The programs run in two worker processes. Longer runs:
`python scripts/fuzz.py --programs 20000 --jobs 2`.

A seed that fails because of a known compiler bug is listed in KNOWN_FAILURES with the
bug: it is a strict xfail, so a fix makes it XPASS and the entry must be removed.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

import srcgrad
from fuzz import oracles, runner, shrink

SEEDS = range(1000)
OPTIMIZE_EVERY = 4
JVP_EVERY = 2  # forward mode compiles its own tangent function: on every other program
HVP_EVERY = 20
JOBS = max(1, min(2, os.cpu_count() or 1))
REGRESSIONS = Path(__file__).parent / "fuzz" / "regressions"

# seed -> reason (the oracle and the shrunk bug, see tests/fuzz/regressions/).
KNOWN_FAILURES: dict[int, str] = {}  # none now (seeds 204, 211, 338, 435, 669, 672, 824, 907, 953 were fixed in e034dca)

# regression file stem -> reason it still fails (strict xfail: remove the entry once fixed).
KNOWN_REGRESSIONS: dict[str, str] = {}  # none now (811998 of stop 22 is refused since stop 23; 616258 and 329360 since stop 22)

# What each saved regression caught (all fixed in e034dca / 6a7daf4; they now guard against regressions).
CAUGHT: dict[str, str] = {
    "value_200060": "aliasing: a helper doubling its parameter in place (`def h0(a0): a0 += a0; return a0`) called "
                    "on x0 inside `for row0 in x0:` (in an `if` condition, with `x0 = x0` on the other path); "
                    "`return (row0, 0)` gave the row from before the in-place write (row0 is a view of x0)",
    "exception_200856": "returning a tuple held in a variable (`t2 = (np.logaddexp(x0, C1).T.T, x0)`, a (1, 3) and "
                        "a (3,) array; `return v8` with v8 = t2 set in a loop): numpy's 'inhomogeneous shape' "
                        "ValueError instead of two outputs",
    "exception_204": "compile crash KeyError '.iter0' (frontend/control_flow.py, the loop 'yield') lowering a `for i in "
                     "range(4)` nested in `for row2 in x0:` whose body rebinds the outer iterable (`x0 = x0`) and "
                     "updates the row (`row2 += row2 > 0.08`)",
    "exception_672": "optimize=True only: `np.sum(C0 ** 3 * x0)` with a module-level constant C0 (2, 1) and x0 (3,) "
                     "raises 'input operand has more dimensions than allowed by the axis remapping': the gradient of "
                     "x0 is not summed back from (2, 3) when the other operand is computed from a global constant "
                     "(`C0 * x0` works; optimize=False gives the right [1.699, 1.699, 1.699])",
    "exception_824": "optimize=True only, same cause as exception_672: `np.maximum(x1, C0 + 0.05)` with C0 (2, 1) and a "
                     "Python float x1: the (2, 1) cotangent of x1 reaches the API unreduced ('cannot reshape array of "
                     "size 2 into shape ()' in api._like)",
    "exception_105740": "compile crash TypeError \"'>' not supported between instances of 'NoneType' and 'float'\" "
                        "(constant folding, frontend expressions.py) for `v13 = h0(x0)` with a helper returning None "
                        "and `if (v13 > 0.14) < 0.92:` in a branch that never runs",
    "exception_106938": "generated code raises TypeError \"'NoneType' object is not subscriptable\" at `row8 = t[i]` "
                        "for `for row8 in x1:` whose body rebinds the iterable (`x1 = [row8, 0.7, x2]`); Python "
                        "keeps iterating the original x1",
    "exception_106796": "IndexError 'index 1 is out of bounds for axis 0 with size 1' (numpy fromnumeric) "
                        "differentiating `np.minimum(C2, 0.4) / (1.0 + np.stack([v1.min(), 1.1, x0.var()]))` with a "
                        "boolean `v1 = x2 > 0.28` and C2 (1, 3)",
    "exception_112499": "generated code raises NameError \"name 'scale' is not defined\" at `x0_1[m13] = scale`: "
                        "`h0(x0, x1, scale=x1)` where h0 augments its parameter inside an `if` (`scale += C0`) "
                        "leaves the caller's x1 bound to the helper's local name (same family as fd_5031)",
    "fd_211": "wrong gradient (finite differences 1.954 vs srcgrad 2.606 along the recorded direction) for an item "
              "write into the argument `x1[0, 1] *= np.sum(np.stack([max(np.mean(x1), v8 + 0.05), 1.5, "
              "np.sum(x1[x1 > 0.43])]))` after a chain through `np.where(0 > 0.11, ..., C7)` and a list",
    "fd_5031": "gradient lost: a helper that augments its parameter inside an `if` (`def h0(a0, scale=1.2): if scale "
               "<= 0.72: scale -= a0`) called as `h0(x1, scale=x0)` makes df/dx0 None/0 for `return x0` with a "
               "float x0 (`scale = scale - a0` is fine)",
    "hvp_43": "second order crashes: TypeError 'Tuple must have size 2, but has size 1' in runtime indexing "
              "(np.zeros(shape, ...)) differentiating the adjoint of `xs = [np.sum(x1.T)]; for i in range(4): "
              "xs.append(i); return np.var(np.stack(xs))` (a list tape holding ints)",
    "value_100193": "a closure returning an outer array read after an in-place masked write to it (`x0[x0 < 0.15] += "
                    "1.0`, here into the argument through `v2 = x0`) returns the array as it was before the write",
    "fd_100336": "optimize=True: `x0 = np.maximum(np.multiply(C0, C1), x0).mean(); return np.maximum(x0, C2)` gives "
                 "half the gradient (one of the two elements where x0 wins is lost when it is summed back); "
                 "see optimize_maximum_rebound",
    "optimize_maximum_rebound": "optimize=True 1/6 vs optimize=False 1/3 (the right value) for `x0 = np.maximum(C, "
                                "x0).mean(); return np.sum(np.maximum(x0, C2))` with a float x0 and C2 (1, 3)",
    "value_100541": "wrong forward value: the target of `for i1 in range(5)` after `break` at i1 == 0 is 4 (the last "
                    "value) instead of 0",
    "value_returned_list": "aliasing seed 200154: `xs2 = [x0]; return xs2` gave value_and_grad's value as a tuple",
    "value_returned_nested_list": "aliasing seed 201060: `return [h0(x0, x0), [np.mean(C0), v4, v4]]` gave the outer "
                                  "list as a tuple",
    "value_list_item_across_if": "aliasing seed 200232: `xs2 = [x0]; if ...: x0 = x0` then `x0 += xs2[-1]` did not "
                                 "double xs2[-1]: the if merged x0 into a new value, no longer the list's item",
    "value_helper_loop_may_not_run": "aliasing seed 200349: a helper's `while` that does not run (`a0 = a1`, a number, "
                                     "in the body) then `a0[0, 1] = a1`: the caller's x1 did not see the write",
    "value_augmented_item_order": "aliasing seed 201197: `x1[i3] -= h0(a0=x1, a1=x1)[0]` with h0 halving x1 in "
                                  "place: x1[i3] was read after h0 ran, not before as Python reads it",
    "jvp_1220814": "normal seed 1220814 (stop 23, a bug of that stop): `x0 -= [...]` then `x0 = x0 * x0` in a "
                   "loop: the update written in place took the loop's carried name, which the next line gave "
                   "the product while the tangent still read the updated array (forward mode 10x off)",
    "hvp_909780": "normal seed 909780 (stop 22): the second derivative's compile ran past 120 s, lowering the first "
                  "adjoint's loop (dozens of tapes tied on entry) once per tie that broke; now once for them all",
    "hvp_list_grown_in_a_loop": "aliasing seed 200645: `x2 = np.tanh(xs4)` of a list grown in a loop "
                                "(`xs4.append(C0)`): the second derivative taped the shape of the list's "
                                "cotangent (add_seq, zeros_like_items) and crashed in getitem_grad_to",
    "value_closure_chain": "a closure called through another closure (inner4 -> inner2 -> reads x0) inside a loop that "
                           "rebinds x0 sees the value x0 had before the loop: 2.7 instead of 6.3 (one closure, or no "
                           "loop, is right)",
    "value_435": "wrong forward value: `for k, row in enumerate(x2): if np.sum(x2) >= 0.7: break` then `return row` "
                 "gives the last row of x2 instead of the row at the break (x2[0]); f itself returns x2[0]",
    "value_enumerate_row_after_loop": "aliasing seed 201984: `for k, row in enumerate(x1): ...` then `row *= 0` after "
                                      "the loop: x1 came back unchanged (the last row of an enumerate loop was no view)",
    "value_view_after_write_on_one_path": "aliasing seed 202441: x0 written in place on one path of an `if`, then "
                                          "`view = x0[..., ::1]; x0[0, 1] = v`: the view saw the write only where x0 "
                                          "was the other path's alias (its replay was put under that test)",
    "value_numpy_scalar_augmented_in_a_loop": "aliasing seed 206668: `v8 = (x1 > 0.24).mean(); v12 = v8` then "
                                              "`v8 *= row` in a row loop: v12 followed v8 (a NumPy scalar is rebound "
                                              "by `*=`, not written; the run-time view test took one for an array)",
    "value_names_of_one_array_one_rebound_in_a_loop": "aliasing seed 221414: `view2 = x0; alias4 = view2`, a loop that "
                                                      "rebinds alias4 and writes `view2[:, 0] *= ...`: x0 was tied to "
                                                      "alias4 inside the loop, and missed the writes after the first trip",
    "value_number_augmented_through_a_helper_in_a_loop": "aliasing seed 225013: `x1 = x0` then, in a loop, a helper's "
                                                         "`scale -= C0` on x0 (a NumPy float: rebound, not written): x0 "
                                                         "took the new value where another name viewed it",
    "value_helper_with_early_return_result_is_its_argument": "aliasing seed 214553 (full form): as below, where h0 may "
        "also return its parameter early (a run-time `if`); the first operand, a merge of the helper's two returns, was "
        "not re-read after the second call's write, because the test for 'rederived already' mistook the operand's own "
        "unchanged memo entry for a change",
    "value_helper_result_is_its_argument_twice": "aliasing seed 214553: `np.subtract(h0(x1), h0(x1))` with h0 halving "
                                                 "its parameter in place and returning it: both operands are x1's "
                                                 "array, so Python gives 0; the first kept the value between the calls",
    "value_view_of_two_names_one_rebound_in_a_loop": "aliasing seed 224501: `view7 = x0[::1]; alias11 = x0`, a loop "
                                                     "rebinding alias11 and dividing x0 in place: view7 was tied to "
                                                     "alias11 inside the loop and missed the writes from the second trip",
    "value_closure_argument_written_by_a_later_argument": "aliasing seed 256177: inside a closure, `h0(y6, h0(y6, C2))` "
                                                          "with h0 doubling its first parameter in place: the outer "
                                                          "call's y6 (an enclosing name) was not read again after the "
                                                          "inner call's write (2x instead of 4x)",
    "value_nested_row_loops_outer_iterable_rebound": "aliasing seed 262607: `for row4 in x0: for row6 in x0: row6 += "
                                                     "...` then `x0 = x0` in the outer body: the outer loop's rows "
                                                     "were read from x0 as it was before the loop (the inner writes "
                                                     "reached x0, not the rows source the outer loop did not carry)",
    "optimize_view_of_a_name_unbound_on_one_path": "aliasing seed 267480: `view9 = alias7[...]` bound on one path of an "
                                                    "`if` only, then `x1 += 0`: generated code replayed the view of "
                                                    "alias7 (None on the other path): TypeError 'NoneType' object is "
                                                    "not subscriptable",
    "value_loop_break_keeps_parameter": "aliasing seed 276830: `alias3 = x1`, a loop that breaks before rebinding x1 "
                                        "to a number, then `x1 *= 0.5`: alias3 (x1's array where the loop broke "
                                        "first) missed the write",
    "value_300373": "code generation: a copy-propagated constant base printed as `-1.1 ** 2` computed -(1.1 ** 2); the "
                    "helper's `scale /= scale ** 2` then chose the other branch and the write into x0 went missing",
    "value_303698": "a helper returning `a0 if c else a0`: the conditional expression made a new value, not the "
                    "caller's array, so `v1 = h1(x1); v1 += ...` left x1 unwritten",
    "value_304344": "a 0-d array written twice through two names (`scale += scale; scale /= a0`, both x0): NumPy "
                    "arithmetic on 0-d arrays gives scalars, and the second write missed the other name",
    "value_201060": "aliasing: `x0 - [h0(x0, x0), ...]` where h0 halves its argument in place: the subtraction read "
                    "x0 from before the call; Python's operator sees the written array",
    "value_201047": "aliasing: `view5 = x0[np.newaxis]`, x0 rebound on one path of an if, then `x0 /= ...`: where the "
                    "if did not rebind it, the write reached the parameter's array and so view5 (read by a closure); "
                    "srcgrad wrote nothing",
    "fd_300044": "a helper with a loop called in a while condition after `if ...: break`: its region leaked the "
                 "caller's names out of the short-circuit `and`, and the gradient through the loop was zero",
    "optimize_302032": "optimize=False: a merge after an if kept a relation to an array made inside the branch, and "
                       "the next loop carried it under a hidden name that was unbound (UnboundLocalError)",
    "value_view_of_a_row_after_a_helpers_row_loop": "aliasing seed 403361: `row10 = x0[0]` then a helper looping "
        "`for row0 in a0: row0 += ...` and `a0 += 1.0`: after the loop row10 was taken for its own array (the replay "
        "of a view under its run-time test read as a name left as it was), so the later write missed it",
}


def _marks(reason: str | None) -> list:
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


@pytest.fixture(scope="module")
def results(request) -> dict[int, runner.Result]:
    selected = sorted({item.callspec.params["seed"] for item in request.session.items
                       if getattr(item, "originalname", "") == "test_program" and hasattr(item, "callspec")})
    done = runner.run_many(selected or SEEDS, jobs=JOBS, hvp_every=HVP_EVERY, optimize_every=OPTIMIZE_EVERY,
                          jvp_every=JVP_EVERY, timeout=120)
    return {r.seed: r for r in done}


@pytest.mark.parametrize("seed", [pytest.param(s, marks=_marks(KNOWN_FAILURES.get(s))) for s in SEEDS])
def test_program(seed: int, results: dict) -> None:
    r = results[seed] if seed in results else runner.run_one(seed, hvp_every=HVP_EVERY, optimize_every=OPTIMIZE_EVERY,
                                                            jvp_every=JVP_EVERY)
    assert r.status in ("passed", "refused", "dropped"), (
        f"seed {seed}: {r.key}: {r.detail}\n"
        f"reproduce and shrink: python scripts/fuzz.py --programs 1 --seed {seed} --hvp-every {HVP_EVERY} "
        f"--optimize-every {OPTIMIZE_EVERY} --jvp-every {JVP_EVERY}")


def test_the_generator_writes_programs_srcgrad_mostly_accepts(results: dict) -> None:
    if len(results) < 500:
        pytest.skip("needs the whole seed range")
    rs = list(results.values())
    invalid = [r for r in rs if r.status == "invalid"]
    assert not invalid, f"the generator wrote programs Python rejects: {[(r.seed, r.detail) for r in invalid[:5]]}"
    refused = sum(r.status == "refused" for r in rs) / len(rs)
    dropped = sum(r.status == "dropped" for r in rs) / len(rs)
    assert refused < 0.10, f"{refused:.1%} refused: {runner.summary(rs)['refusals']}"
    assert dropped < 0.10, f"{dropped:.1%} dropped"


def test_the_programs_cover_the_constructs(results: dict) -> None:
    if len(results) < 500:
        pytest.skip("needs the whole seed range")
    coverage = runner.summary(list(results.values()))["coverage"]
    for name in ("loops", "while", "branches", "helpers", "keyword args", "closures", "item writes", "mask writes",
                 "break", "continue", "early return", "lists", "list append", "tuples", "subscripts/slices",
                 "reductions with axis", "matmul/dot", "einsum", "where", "tuple return", "array return"):
        assert coverage[name] >= 0.05, f"{name}: only {coverage[name]:.1%} of programs"


# --- saved regressions ---------------------------------------------------------------------


def _regression_params() -> list:
    files = sorted(REGRESSIONS.glob("*.py")) if REGRESSIONS.exists() else []
    return [pytest.param(p, id=p.stem, marks=_marks(KNOWN_REGRESSIONS.get(p.stem)))
            for p in files if p.name != "__init__.py"]


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # shrunk programs keep what Python only warns about: `for i in 4`
@pytest.mark.parametrize("path", _regression_params())
def test_regression(path: Path, tmp_path: Path) -> None:
    case, meta = shrink.load_regression(path)
    outcome = oracles.run_case(case, tmp_path, only=shrink._only(meta["oracle"]), timeout=120)
    if meta["oracle"] == "exception":  # a program shrunk around a crash may have lost its return value
        assert outcome.status in ("passed", "dropped"), f"{path.name}: {outcome.key}: {outcome.detail}"
    else:
        assert outcome.status == "passed", f"{path.name}: {outcome.key}: {outcome.detail}"


# --- the oracle can fail -----------------------------------------------------------------


@pytest.fixture
def user_module(tmp_path: Path):
    """A fresh module holding `myfun(x) = sin(x)`, importable by generated programs."""
    name = f"fuzz_user_{uuid.uuid4().hex[:10]}"
    (tmp_path / f"{name}.py").write_text("import numpy as np\n\n\ndef myfun(x):\n    return np.sin(x)\n")
    sys.path.insert(0, str(tmp_path))
    try:
        module = __import__(name)
        yield name, module
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)


def _with_myfun(name: str, seeds: range) -> list[runner.Result]:
    return [runner.run_one(s, hvp_every=0, optimize_every=0, user_functions=("myfun",),
                           user_imports=(f"from {name} import myfun", "")) for s in seeds]


def test_the_fd_oracle_flags_a_wrong_rule(user_module) -> None:
    name, module = user_module

    @srcgrad.register_vjp(module.myfun)
    def wrong(ct, out, x):
        return (ct * 2 * np.cos(x),)  # twice the derivative

    try:
        results = _with_myfun(name, range(40))
        using = [r for r in results if "user_function" in r.features and r.status not in ("refused", "dropped")]
        flagged = [r for r in using if r.key == "failed:fd"]
        assert len(using) >= 10
        # many programs use myfun off the path to the output; those on it must be flagged
        assert len(flagged) >= 5, [(r.seed, r.key) for r in using]
        assert not [r for r in results if r.status == "failed" and "user_function" not in r.features]
    finally:
        @srcgrad.register_vjp(module.myfun)
        def right(ct, out, x):
            return (ct * np.cos(x),)

    # with the right rule, the same programs pass
    again = {r.seed: r for r in _with_myfun(name, range(40))}
    assert all(again[r.seed].status == "passed" for r in flagged), [(s, r.key, r.detail) for s, r in again.items()
                                                                    if r.status == "failed"]


def test_the_jvp_oracle_flags_a_wrong_forward_rule() -> None:
    """A planted forward-mode rule (tanh's tangent doubled; the reverse rule stays right) is caught
    by the jvp oracle on the programs whose output it reaches, and on nothing else."""
    from srcgrad.rules import jvp_rules

    def doubled(ts, out, x):
        return ts[0] * (2 * (1 - out * out))

    jvp_rules._TABLE[np.tanh] = doubled
    try:
        results = [runner.run_one(s, hvp_every=0, optimize_every=0, jvp_every=1) for s in range(30)]
    finally:
        del jvp_rules._TABLE[np.tanh]
    flagged = [r for r in results if r.key == "failed:jvp"]
    assert len(flagged) >= 5, [(r.seed, r.key) for r in results]
    assert all(r.status != "failed" or r.key == "failed:jvp" for r in results), [(r.seed, r.key) for r in results]
    again = {s: runner.run_one(s, hvp_every=0, optimize_every=0, jvp_every=1) for s in [r.seed for r in flagged]}
    assert all(r.status == "passed" for r in again.values()), [(s, r.key, r.detail) for s, r in again.items()]


def test_the_oracles_flag_a_wrong_gradient_shape_and_a_wrong_value(tmp_path: Path) -> None:
    """The other oracles on hand-made breakage: a rule whose cotangent has the wrong shape is
    caught (shape/dtype or an exception), and a recorded value that differs is caught."""
    from fuzz.generator import Param

    source = "import numpy as np\n\n\ndef f(x0):\n    return np.sum(np.sin(x0) * 2.0)\n"
    x = np.array([0.3, -0.2, 0.5])
    case = oracles.Case(source, [Param("x0", (3,), "array")], 0, {"unconnected_gradients": "zero"}, (x,),
                        [np.array([1.0, 0.5, -0.3])], [np.array([0.2, 0.1, 0.4])], None, False)
    assert oracles.run_case(case, tmp_path).status == "passed"
    # An FD check of a function whose gradient is wrong: phi against a wrong analytic value.
    verdict, _ = oracles.fd_verdict(lambda t: float(np.sum(np.sin(x + t * case.directions[0]) * 2.0)),
                                    float(np.sum(np.sin(x) * 2.0)), 1.0, 1.0)
    assert verdict == "fail"
    # A kink within the step is not a failure.
    verdict, _ = oracles.fd_verdict(lambda t: abs(t) + t, 0.0, 2.0, 1.0)
    assert verdict == "nonsmooth"


# Programs srcgrad once refused ("a loop in which 'v' stops being a view of ...") and now
# differentiates: a tie between carried names that does not hold at the body's end becomes a
# run-time test where each trip starts. Each must pass every oracle (values, finite differences).
ONCE_REFUSED = [(350122, False), (350187, False), (350473, False)]


@pytest.mark.parametrize("seed, aliasing", ONCE_REFUSED, ids=[str(s) for s, _ in ONCE_REFUSED])
def test_once_refused_programs_now_pass(seed, aliasing):
    result = runner.run_one(seed, aliasing=aliasing, hvp_every=1, optimize_every=1)
    assert result.status == "passed", f"{result.status}: {result.detail}"
