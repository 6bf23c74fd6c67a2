import numpy as np
C0 = np.array([[0.99], [0.9]])

def f(x0):
    v0 = C0 ** 3
    v0 = v0 * x0
    return v0


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'exception', 'detail': 'ValueError: input operand has more dimensions than allowed by the axis remapping [at _stride_tricks_impl.py:382: it = np.nditer(]', 'reason': '', 'seed': 672, 'mode': 'normal', 'wrt': (0,), 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [3], 'array')], 'args': [('array', [0.9632993242501986, 0.040388900332521176, -1.145420041494048], [3])], 'directions': [('array', [-0.5119870213909987, -0.6273475599286231, -1.5698276185391302], [3])], 'hvp_directions': [('array', [0.8833467556546817, 1.2649120916910963, 2.064756877558641], [3])], 'grad_ys': ('float', 0.6723255063268078), 'use_seeds': True}
