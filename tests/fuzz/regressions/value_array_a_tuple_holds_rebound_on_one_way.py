import math
import numpy as np
C5 = [[0.41], [0.2]]

def f(x0):
    view3 = x0[..., ::1]
    t5 = (x0, 1.0)
    if np.mean(C5) >= 0.87:
        x0 = x0 ** 2
    else:
        view3 *= -0.8
    x0[0] -= x0.min()
    return view3 > 0.03


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value array([[ True, False, False]]) vs f(*args) array([[ True,  True, False]])', 'reason': '', 'seed': 616258, 'mode': 'aliasing', 'wrt': (0,), 'options': {'unconnected_gradients': 'none'}, 'params': [('x0', [1, 3], 'array')], 'args': [('array', [[-1.1160997575977138, 0.9547010127169845, 1.719891025964682]], [1, 3])], 'directions': [('array', [[0.04039920993304658, 1.2019156260357207, -0.10511674369942381]], [1, 3])], 'hvp_directions': [('array', [[0.0060390212097342294, 0.28056874978421986, 0.7674737375308085]], [1, 3])], 'grad_ys': ('float', 1.1407319981944322), 'use_seeds': True}
