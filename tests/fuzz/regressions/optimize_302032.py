import math
import numpy as np

def h0(a0):
    return np.einsum('i,i->', (3,), (3,))

def f(x0, x1):
    if np.sum(x1) > 0.12:
        for i6 in 4:
            x1 = x1
        t7 = (0.7, x1)
    for i16 in range(4):
        x1 = i16 if h0(x1) >= 0.58 else 0.7


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'optimize', 'detail': "optimize=False raised UnboundLocalError: cannot access local variable 'x1_2' where it is not associated with a value [at adjoint_ca0779adf7411981ae6cdc18bef31b2e.py:18: t_1 = x1_2]", 'reason': '', 'seed': 302032, 'mode': 'normal', 'wrt': (0, 1), 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [1, 3], 'array'), ('x1', [2, 1], 'array')], 'args': [('array', [[-1.9849665812939548, 0.15175901496493846, 1.3519137007717792]], [1, 3]), ('array', [[0.0805452112969284], [-0.5532565764369738]], [2, 1])], 'directions': [('array', [[-1.0599893806732708, 0.5921382200345207, -0.3540339905420515]], [1, 3]), ('array', [[-0.1274543880795307], [0.520807069646495]], [2, 1])], 'hvp_directions': [('array', [[-0.023016409678344864, 0.6722066400862873, -0.1689811111377937]], [1, 3]), ('array', [[0.5333072683156448], [-1.5725714084692013]], [2, 1])], 'grad_ys': ('float', 0.4624421559734276), 'use_seeds': True}
