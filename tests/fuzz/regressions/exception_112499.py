import numpy as np
C0 = [[0.52, 0.35, 0.4]]

def h0(a0, a1, scale=0.25):
    if not np.sum(1.0) > 0.02:
        scale += C0

def f(x0, x1):
    v6 = h0(x0, x1, scale=x1)
    m13 = x0 > 0.17
    x0[m13] = x1
    return (x0, x0)


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'exception', 'detail': "NameError: name 'scale' is not defined [at adjoint_7925b944614e3efcdc975bc8b98503d2.py:15: x0_1[m13] = scale]", 'reason': '', 'seed': 112499, 'mode': 'normal', 'wrt': (0, 1), 'options': {'unconnected_gradients': 'none'}, 'params': [('x0', [1, 3], 'array'), ('x1', [], '0d')], 'args': [('array', [[-0.5372832266713501, 1.3660793203072348, -0.5909772707992076]], [1, 3]), ('array', -1.4640808584307505, [])], 'directions': [('array', [[1.354739933284103, -1.5211437833000774, 0.428169656935569]], [1, 3]), ('array', -0.40788335150992855, [])], 'hvp_directions': [('array', [[1.0528147839387343, -0.18833809856730144, 0.434855162817766]], [1, 3]), ('array', 0.7434569034646653, [])], 'grad_ys': None, 'use_seeds': False}
