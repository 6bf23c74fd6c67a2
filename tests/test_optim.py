"""srcgrad.optim against TensorFlow 1.x tf.train: oracle categories optimizer and ema, and the seed's
10-step gradient-descent walk (s001_gd_018_10steps, s001_x_init_eval).

Every gradient comes from srcgrad (Optimizer.compute_gradients differentiates the loss function).
"""

from __future__ import annotations


import numpy as np
import pytest

import srcgrad
from oracle import load_oracle
from srcgrad import optim




ORACLE = load_oracle()


@pytest.fixture(autouse=True)
def fresh_srcgrad_cache(tmp_path, monkeypatch):
    """Each test compiles into its own empty disk cache: no entry from another test or run is reused."""
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path / "srcgrad-cache"))
X0 = 0.06676739  # seed 001's second truncated_normal draw (the GD run)
F32 = {"rtol": 3e-7, "atol": 0}  # float32: within ~2 ulps


def goal(x):
    """The seed's goal = tf.pow(x - 3, 2)."""
    return (x - 3) ** 2


def goal_with_unused(x, unused):
    return (x - 3) ** 2


def independent_of_x(x, y):
    return y * 2.0


def least_squares(w, b, X, Y):
    return np.mean((np.matmul(X, w) + b - Y) ** 2)


def start() -> np.ndarray:
    return np.array([X0], dtype=np.float32)


# --- s001_x_init_eval, s001_gd_018_10steps ---------------------------------------------------------------


def test_seed_goal_at_first_draw() -> None:
    out = ORACLE["s001_x_init_eval"]["tf_output"]
    x = np.array(out["x"], dtype=np.float32)
    np.testing.assert_allclose(goal(x), out["goal"], **F32)


def test_gradient_descent_10_steps_like_the_seed() -> None:
    case = ORACLE["s001_gd_018_10steps"]
    out, printed = case["tf_output"], case["seed_output"]
    x = start()
    opt = optim.GradientDescentOptimizer(learning_rate=0.18)
    before, after = [], []
    for _ in range(10):
        before.append(x.copy())
        opt.minimize(goal, [x])
        after.append(goal(x))
    before, after = np.concatenate(before), np.concatenate(after)
    assert before.dtype == np.float32 and after.dtype == np.float32
    np.testing.assert_allclose(before, out["x_before_step"], **F32)
    np.testing.assert_allclose(after, out["goal_after_step"], **F32)
    # What the seed printed: NumPy's float32 repr, the last goals rounded to 8 decimals.
    assert [str(np.array([v])) for v in before] == [f"[{v}]" for v in printed["x_before_step"]]
    assert [str(np.array([v])) for v in after] == [f"[{v}]" for v in printed["goal_after_step"]]


# --- opt_*_5steps -----------------------------------------------------------------------------------------

OPTIMIZERS = {
    "opt_gd_018_5steps": lambda: optim.GradientDescentOptimizer(0.18),
    "opt_momentum_018_09_5steps": lambda: optim.MomentumOptimizer(0.18, momentum=0.9),
    "opt_momentum_nesterov_018_09_5steps": lambda: optim.MomentumOptimizer(0.18, momentum=0.9, use_nesterov=True),
    "opt_adam_018_5steps": lambda: optim.AdamOptimizer(0.18),
    "opt_adam_default_lr_5steps": lambda: optim.AdamOptimizer(),
    "opt_rmsprop_018_5steps": lambda: optim.RMSPropOptimizer(0.18),
    "opt_adagrad_018_5steps": lambda: optim.AdagradOptimizer(0.18),
}
SLOTS = {"slot_momentum": "momentum", "slot_m": "m", "slot_v": "v", "slot_rms": "rms",
         "slot_accumulator": "accumulator"}


@pytest.mark.parametrize("case_id", list(OPTIMIZERS))
def test_five_steps(case_id: str) -> None:
    out = ORACLE[case_id]["tf_output"]
    opt = OPTIMIZERS[case_id]()
    x = start()
    step = optim.create_global_step()
    record: dict[str, list] = {"x": [], "goal": [], "grad": [], "global_step": [], "beta1_power": [],
                               "beta2_power": []}
    record.update({k: [] for k in SLOTS})
    for _ in range(5):
        [(g, var)] = opt.compute_gradients(goal, [x])
        assert var is x and g.dtype == np.float32
        record["grad"].append(g[0])
        goal_before = goal(x)
        np.testing.assert_array_equal(opt.minimize(goal, [x], global_step=step), goal_before)
        record["x"].append(x[0])
        record["goal"].append(goal(x)[0])
        record["global_step"].append(int(step))
        for key, slot in SLOTS.items():
            if key in out:
                record[key].append(opt.get_slot(x, slot)[0])
        if "beta1_power" in out:
            b1, b2 = opt._get_beta_accumulators()
            record["beta1_power"].append(b1)
            record["beta2_power"].append(b2)
    assert x.dtype == np.float32
    assert record["global_step"] == out["global_step"] == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(record["x"], out["x"], **F32)
    np.testing.assert_allclose(record["goal"], out["goal"], rtol=1e-6)
    np.testing.assert_allclose(record["grad"], out["grad"], **F32)
    for key in list(SLOTS) + ["beta1_power", "beta2_power"]:
        if key in out:
            np.testing.assert_allclose(record[key], out[key], **F32, err_msg=key)
    np.testing.assert_allclose(record["x"], out["float64_formula_x"], rtol=0, atol=3e-6)
    assert out["initial_slots"] == {
        "opt_gd_018_5steps": {},
        "opt_momentum_018_09_5steps": {"momentum": 0.0},
        "opt_momentum_nesterov_018_09_5steps": {"momentum": 0.0},
        "opt_adam_018_5steps": {"m": 0.0, "v": 0.0},
        "opt_adam_default_lr_5steps": {"m": 0.0, "v": 0.0},
        "opt_rmsprop_018_5steps": {"rms": 1.0, "momentum": 0.0},
        "opt_adagrad_018_5steps": {"accumulator": np.float32(0.1)},
    }[case_id]


def test_minimize_returns_the_loss_before_the_step() -> None:
    x = start()
    value = optim.GradientDescentOptimizer(0.18).minimize(goal, [x])
    np.testing.assert_allclose(value, goal(start()), **F32)


# --- opt_compute_apply_gradients -----------------------------------------------------------------------


def test_compute_clip_apply() -> None:
    out = ORACLE["opt_compute_apply_gradients"]["tf_output"]
    x, unused = start(), np.array([5.0], dtype=np.float32)
    opt = optim.GradientDescentOptimizer(0.18)
    gv = opt.compute_gradients(goal_with_unused, [x, unused])
    (g, v0), (g_unused, v1) = gv
    assert v0 is x and v1 is unused and g_unused is None
    expected = out["compute_gradients_var_list_[x,unused]"]
    np.testing.assert_allclose(g, expected[0][0], **F32)
    assert expected[1][0] is None
    step = optim.create_global_step()
    capped = [(optim.clip_by_value(g, -1.0, 1.0), v) for g, v in gv if g is not None]
    opt.apply_gradients(capped, global_step=step)
    np.testing.assert_allclose(x, out["x_after_apply_capped"], **F32)
    assert int(step) == out["global_step_after"] == 1
    np.testing.assert_array_equal(unused, [5.0])


def test_no_gradients_errors() -> None:
    out = ORACLE["opt_compute_apply_gradients"]["tf_output"]
    opt = optim.GradientDescentOptimizer(0.18)
    unused = np.array([5.0], dtype=np.float32)
    assert out["apply_gradients_all_None"]["message"].startswith("No gradients provided for any variable: [")
    with pytest.raises(ValueError, match=r"^No gradients provided for any variable: \["):
        opt.apply_gradients([(None, unused)])
    np.testing.assert_array_equal(unused, [5.0])
    message = out["minimize_loss_not_depending_on_var_list"]["message"]
    assert message.startswith("No gradients provided for any variable, check your graph")
    x = start()
    with pytest.raises(ValueError, match=r"^No gradients provided for any variable, check your graph for ops "
                                         r"that do not support gradients, between variables \[.*\] and loss"):
        opt.minimize(independent_of_x, [x], np.float32(2.0))
    np.testing.assert_array_equal(x, start())


def test_data_arguments_and_several_variables() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 3))
    true_w = np.array([1.5, -2.0, 0.5])
    Y = X @ true_w + 0.3
    w, b = np.zeros(3), np.zeros(())
    opt = optim.AdamOptimizer(0.1)
    first = opt.minimize(least_squares, [w, b], X, Y)
    for _ in range(300):
        last = opt.minimize(least_squares, [w, b], X, Y)
    assert last < 1e-4 < first
    np.testing.assert_allclose(w, true_w, atol=1e-2)
    np.testing.assert_allclose(b, 0.3, atol=1e-2)


# --- bad input: never a silent no-op ----------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda lr: optim.GradientDescentOptimizer(lr),
    lambda lr: optim.MomentumOptimizer(lr, 0.9),
    lambda lr: optim.AdamOptimizer(lr),
    lambda lr: optim.RMSPropOptimizer(lr),
    lambda lr: optim.AdagradOptimizer(lr),
])
def test_non_positive_learning_rate(make) -> None:
    for lr in (0.0, -0.1):
        with pytest.raises(ValueError, match="learning_rate"):
            make(lr)
    with pytest.raises(ValueError, match="learning_rate"):
        make(float("nan"))
    with pytest.raises(TypeError, match="learning_rate"):
        make("0.1")


def test_other_hyper_parameters() -> None:
    with pytest.raises(ValueError, match="initial_accumulator_value must be positive"):
        optim.AdagradOptimizer(0.1, initial_accumulator_value=0.0)
    with pytest.raises(ValueError, match="beta1"):
        optim.AdamOptimizer(0.1, beta1=1.0)
    with pytest.raises(ValueError, match="momentum"):
        optim.MomentumOptimizer(0.1, momentum=-0.5)
    with pytest.raises(ValueError, match="decay"):
        optim.RMSPropOptimizer(0.1, decay=1.5)


def test_variables_must_be_float_arrays() -> None:
    opt = optim.GradientDescentOptimizer(0.1)
    with pytest.raises(TypeError, match=r"var_list\[0\].*float"):
        opt.minimize(goal, [0.5])
    with pytest.raises(TypeError, match=r"var_list\[0\].*float"):
        opt.compute_gradients(goal, [np.array([1, 2])])
    with pytest.raises(TypeError, match=r"var_list\[0\]"):
        opt.minimize(goal, [np.float32(0.5)])
    frozen = start()
    frozen.flags.writeable = False
    with pytest.raises(TypeError, match="writeable"):
        opt.minimize(goal, [frozen])
    with pytest.raises(TypeError, match="var_list"):
        opt.minimize(goal, start())
    with pytest.raises(ValueError, match="No variables"):
        opt.minimize(goal, [])
    with pytest.raises(TypeError, match="grads_and_vars"):
        opt.apply_gradients([(np.ones(1), 0.5)])
    with pytest.raises(ValueError, match=r"shape \(2,\).*shape \(1,\)"):
        opt.apply_gradients([(np.ones(2), start())])
    with pytest.raises(TypeError, match="global_step"):
        opt.minimize(goal, [start()], global_step=0)
    with pytest.raises(TypeError, match="global_step"):
        opt.apply_gradients([(np.ones(1), start())], global_step=np.zeros(()))


def test_slots() -> None:
    assert optim.AdamOptimizer().get_slot_names() == ["m", "v"]
    assert optim.RMSPropOptimizer(0.1).get_slot_names() == ["momentum", "rms"]
    assert optim.RMSPropOptimizer(0.1, centered=True).get_slot_names() == ["mg", "momentum", "rms"]
    assert optim.AdagradOptimizer(0.1).get_slot_names() == ["accumulator"]
    assert optim.GradientDescentOptimizer(0.1).get_slot_names() == []
    x = start()
    opt = optim.MomentumOptimizer(0.1, 0.9)
    assert opt.get_slot(x, "momentum") is None
    opt.minimize(goal, [x])
    assert opt.get_slot(x, "momentum").dtype == np.float32


def test_centered_rmsprop() -> None:
    x = np.array([X0])
    opt = optim.RMSPropOptimizer(0.18, momentum=0.5, centered=True)
    ms, mg, mom, expected = 1.0, 0.0, 0.0, X0
    for _ in range(3):
        opt.minimize(goal, [x])
        g = 2 * (expected - 3)
        ms += (g * g - ms) * 0.1
        mg += (g - mg) * 0.1
        mom = 0.5 * mom + 0.18 * g / np.sqrt(ms - mg * mg + 1e-10)
        expected -= mom
        np.testing.assert_allclose(x, [expected], rtol=1e-12)


# --- ema_decay09_3updates, ema_decay09_num_updates, ema_decay099_textbook -------------------------------


def test_ema_decay_09() -> None:
    out = ORACLE["ema_decay09_3updates"]["tf_output"]
    v = np.zeros((), dtype=np.float32)
    ema = optim.ExponentialMovingAverage(0.9)
    assert ema.average(v) is None
    ema.apply([v])  # the shadow starts at v's value (TF: v's initial value)
    assert float(ema.average(v)) == out["shadow_initial"]
    shadows = []
    for value in ORACLE["ema_decay09_3updates"]["inputs"]["v_values"]:
        v[...] = value
        ema.apply([v])
        shadows.append(ema.average(v).copy())
    assert ema.average(v).dtype == np.float32
    np.testing.assert_allclose(shadows, out["shadow_after"], **F32)


def test_ema_num_updates() -> None:
    case = ORACLE["ema_decay09_num_updates"]
    v = np.zeros((), dtype=np.float32)
    step = optim.create_global_step()
    ema = optim.ExponentialMovingAverage(0.9, num_updates=step)
    ema.apply([v])
    shadows = []
    for n, value in zip(case["inputs"]["steps"], case["inputs"]["v_values"]):
        step[...] = n
        v[...] = value
        ema.apply([v])
        shadows.append(float(ema.average(v)))
    np.testing.assert_allclose(shadows, case["tf_output"]["shadow_after"], **F32)


def test_ema_textbook() -> None:
    case = ORACLE["ema_decay099_textbook"]
    v = np.zeros((), dtype=np.float32)
    step = np.zeros((), dtype=np.int32)
    ema = optim.ExponentialMovingAverage(0.99, step)
    ema.apply([v])
    shadows = []
    for n, value in ((0, 5.0), (10000, 10.0), (10000, 10.0)):
        step[...] = n
        v[...] = value
        ema.apply([v])
        shadows.append(float(ema.average(v)))
    np.testing.assert_allclose(shadows, case["tf_output"]["shadow_after"], **F32)
    np.testing.assert_allclose(shadows, case["seed_output"]["shadow_after"], rtol=1e-6)


def test_ema_bad_input() -> None:
    with pytest.raises(ValueError, match="decay"):
        optim.ExponentialMovingAverage(1.5)
    with pytest.raises(TypeError, match="num_updates"):
        optim.ExponentialMovingAverage(0.9, num_updates=0.5)
    with pytest.raises(TypeError, match=r"var_list\[0\]"):
        optim.ExponentialMovingAverage(0.9).apply([1.0])


# --- clipping ----------------------------------------------------------------------------------------------


def clipped_norm_sum(t):
    return np.sum(optim.clip_by_norm(t, 2.5) * np.array([1.0, 2.0]))


def test_clip_by_value() -> None:
    t = np.array([-2.0, -1.0, 0.5, 1.0, 3.0], dtype=np.float32)
    clipped = optim.clip_by_value(t, -1.0, 1.0)
    assert clipped.dtype == np.float32
    np.testing.assert_array_equal(clipped, [-1.0, -1.0, 0.5, 1.0, 1.0])


def test_clip_by_norm() -> None:
    t = np.array([3.0, 4.0])
    np.testing.assert_allclose(optim.clip_by_norm(t, 2.5), [1.5, 2.0])
    np.testing.assert_allclose(optim.clip_by_norm(t, 10.0), t)
    np.testing.assert_array_equal(optim.clip_by_norm(np.zeros(2), 1.0), [0.0, 0.0])
    rows = np.array([[3.0, 4.0], [0.6, 0.8]])
    np.testing.assert_allclose(optim.clip_by_norm(rows, 1.0, axes=1), [[0.6, 0.8], [0.6, 0.8]])
    # d/dt of sum(c * 2.5 t/|t|) = 2.5 (c - (c.u) u) / |t|, u = t/|t|
    u = t / 5.0
    c = np.array([1.0, 2.0])
    np.testing.assert_allclose(srcgrad.grad(clipped_norm_sum)(t), 2.5 * (c - c.dot(u) * u) / 5.0, rtol=1e-12)


def test_clip_by_global_norm() -> None:
    t_list = [np.array([3.0, 4.0], dtype=np.float32), None, np.array([[12.0]], dtype=np.float32)]
    clipped, norm = optim.clip_by_global_norm(t_list, 6.5)
    np.testing.assert_allclose(norm, 13.0)
    assert clipped[1] is None
    np.testing.assert_allclose(clipped[0], [1.5, 2.0])
    np.testing.assert_allclose(clipped[2], [[6.0]])
    assert clipped[0].dtype == np.float32 and clipped[2].shape == (1, 1)
    unchanged, norm = optim.clip_by_global_norm(t_list, 20.0)
    np.testing.assert_allclose(unchanged[0], t_list[0])
    zero, norm = optim.clip_by_global_norm([np.zeros(2)], 1.0)
    np.testing.assert_array_equal(zero[0], [0.0, 0.0])
    assert norm == 0.0
    nan, _ = optim.clip_by_global_norm([np.array([np.inf, 1.0])], 1.0)
    assert np.all(np.isnan(nan[0]))
    fixed, used = optim.clip_by_global_norm([np.array([3.0, 4.0])], 1.0, use_norm=10.0)
    np.testing.assert_allclose(fixed[0], [0.3, 0.4])
    assert used == 10.0
    with pytest.raises(TypeError, match="t_list"):
        optim.clip_by_global_norm(np.ones(3), 1.0)
    with pytest.raises(ValueError, match="clip_norm"):
        optim.clip_by_global_norm([np.ones(3)], 0.0)
