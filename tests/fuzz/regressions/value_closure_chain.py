import numpy as np


def f(x0):

    def inner2():
        return x0

    def inner4():
        return inner2()
    s = 0.0
    for i in range(3):
        s = s + inner4()
        x0 = x0 * 2.0
    return np.sum(s)


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value 2.7 vs f(*args) 6.3', 'reason': 'hand-minimised from the shrunk seed 101023', 'seed': 101023, 'mode': 'normal', 'wrt': (0,), 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [2], 'array')], 'args': [('array', [0.7, 0.2], [2])], 'directions': [('array', [0.3, -1.1], [2])], 'hvp_directions': [('array', [0.5, 0.4], [2])], 'grad_ys': None, 'use_seeds': False}
