"""Times srcgrad's generated gradients against hand-written NumPy gradients, in one
process, and prints a table of the ratios (srcgrad / hand-written; lower is better).

    python benchmarks/bench_gradients.py [--repeat 200] [--threads 1] [--only mlp,rnn]

The programs are the kinds issue 8 of the tracker names: a 2-layer MLP, a 100-step RNN,
a tiny linear regression, a scalar recurrence on floats, a Newton `while`, one large
elementwise expression, a loop that leaves early (and its second derivative), and the
time to a first gradient of a function calling a helper 50, 200 and 800 times.
Each row checks the two gradients agree before it times them. Nothing is asserted about
speed: it is measured, not tested.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
import timeit

if "--threads" in sys.argv:  # before NumPy loads its BLAS
    _n = sys.argv[sys.argv.index("--threads") + 1]
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _n
os.environ.setdefault("SRCGRAD_CACHE", "0")  # time compiling, not reading the disk cache

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import by_hand  # noqa: E402
import models  # noqa: E402
import srcgrad  # noqa: E402


def best_time(fn, repeat: int) -> float:
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=max(repeat // 40, 5), number=number)) / number


def compare(name, generated, hand, args, repeat):
    got, want = generated(*args), hand(*args)
    got, want = (got if isinstance(got, tuple) else (got,)), (want if isinstance(want, tuple) else (want,))
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-9)
    t_gen = best_time(lambda: generated(*args), repeat)
    t_hand = best_time(lambda: hand(*args), repeat)
    print(f"| {name:<44} | {t_gen * 1e6:11.1f} | {t_hand * 1e6:11.1f} | {t_gen / t_hand:6.2f}x |", flush=True)


def programs(rng):
    """name -> (srcgrad gradient, hand-written gradient, arguments)."""
    batch, d_in, d_hidden, d_out = 32, 64, 128, 10
    W1, b1 = rng.standard_normal((d_in, d_hidden)) * 0.1, np.zeros(d_hidden)
    W2, b2 = rng.standard_normal((d_hidden, d_out)) * 0.1, np.zeros(d_out)
    X, Y = rng.standard_normal((batch, d_in)), np.eye(d_out)[rng.integers(0, d_out, batch)]
    steps, hidden, rnn_batch = 100, 64, 16
    Wx, Wh = rng.standard_normal((hidden, hidden)) * 0.1, rng.standard_normal((hidden, hidden)) * 0.1
    xs, h0 = rng.standard_normal((steps, rnn_batch, hidden)), np.zeros((rnn_batch, hidden))
    x_big = rng.standard_normal(1_000_000)
    return {
        "mlp": ("2-layer tanh MLP, batch 32, 64-128-10", srcgrad.grad(models.mlp_loss, wrt=(0, 1, 2, 3)),
                by_hand.mlp_grad, (W1, b1, W2, b2, X, Y)),
        "rnn": ("100-step tanh RNN, hidden 64, batch 16", srcgrad.grad(models.rnn_loss, wrt=(0, 1, 2)),
                by_hand.rnn_grad, (Wx, Wh, np.zeros(hidden), xs, h0)),
        "linreg": ("linear regression, 2 points x 1 feature", srcgrad.grad(models.linreg_loss, wrt=(0, 1)),
                   by_hand.linreg_grad, (np.array([0.5]), 0.1, np.array([[1.0], [2.0]]), np.array([1.0, 2.5]))),
        "recurrence": ("logistic map, 50 steps on floats", srcgrad.grad(models.logistic_recurrence, wrt=(0, 1)),
                       by_hand.logistic_recurrence_grad, (3.2, 0.3)),
        "newton": ("Newton sqrt `while` on a float", srcgrad.grad(models.newton_sqrt), by_hand.newton_sqrt_grad,
                   (2.0,)),
        "elementwise": ("elementwise expression, 1e6 floats", srcgrad.grad(models.big_elementwise),
                        by_hand.big_elementwise_grad, (x_big,)),
        "early": ("loop leaving after 5 of 1000 trips", srcgrad.grad(models.early_exit), by_hand.early_exit_grad,
                  (0.3,)),
        "early2": ("  ... its second derivative", srcgrad.grad(srcgrad.grad(models.early_exit)),
                   by_hand.early_exit_second, (0.3,)),
    }


HELPER = "def step(x):\n    y = np.sin(x) * 0.5\n    return y + x\n\n\n"


def compile_chain(calls: int, directory: str) -> tuple[float, int]:
    """Seconds to the first gradient of a function calling a helper `calls` times (a fresh
    module, nothing cached), and the source statements srcgrad read."""
    name = f"chain_{calls}"
    body = "".join("    x = step(x)\n" for _ in range(calls))
    with open(os.path.join(directory, f"{name}.py"), "w") as f:
        f.write(f"import numpy as np\n\n\n{HELPER}def f(x):\n{body}    return np.sum(x)\n")
    module = __import__(name)
    start = time.perf_counter()
    srcgrad.grad(module.f)(np.ones(3))
    return time.perf_counter() - start, calls + 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--threads", type=int, help="BLAS threads (set before NumPy loads)")
    parser.add_argument("--only", help="comma-separated program keys: mlp,rnn,linreg,recurrence,newton,"
                                       "elementwise,early,early2,compile")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    print(f"| {'program':<44} | srcgrad (us) | by hand (us) | ratio   |")
    print(f"|{'-' * 46}|{'-' * 13}|{'-' * 13}|{'-' * 9}|")
    for key, (name, generated, hand, call_args) in programs(np.random.default_rng(0)).items():
        if only is None or key in only:
            compare(name, generated, hand, call_args, args.repeat)
    if only is None or "compile" in only:
        print("\n| helper calls | statements | first gradient (s) | ms per statement |")
        print("|---|---|---|---|")
        with tempfile.TemporaryDirectory() as directory:
            sys.path.insert(0, directory)
            times = {}
            for calls in (50, 200, 800):
                seconds, statements = compile_chain(calls, directory)
                times[calls] = seconds
                print(f"| {calls} | {statements} | {seconds:.3f} | {seconds / statements * 1e3:.2f} |", flush=True)
        exponent = math.log(times[800] / times[50]) / math.log(800 / 50)
        print(f"\ngrowth from 50 to 800 calls: time ~ calls^{exponent:.2f}")


if __name__ == "__main__":
    main()
