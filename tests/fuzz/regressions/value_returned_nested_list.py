import math
import numpy as np
C0 = [[0.73, 0.01, 0.66]]

def h0(a0, a1):
    return np.zeros((3,))

def f(x0):
    v4 = 1.0
    x0 = [h0(x0, x0), [np.mean(C0), v4, v4]]
    return x0


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value (array([0., 0., 0.]), [np.float64(0.4666666666666666), 1.0, 1.0]) vs f(*args) [array([0., 0., 0.]), [np.float64(0.4666666666666666), 1.0, 1.0]]', 'reason': '', 'seed': 201060, 'mode': 'aliasing', 'wrt': 0, 'options': {'unconnected_gradients': 'none'}, 'params': [('x0', [2, 3], 'array')], 'args': [('array', [[0.5791438104763658, 0.34880135996645617, 0.8770546149064484], [1.225749502034771, -0.8367434053241548, 1.14364661057985]], [2, 3])], 'directions': [('array', [[2.1856543020616233, 0.1709472890261315, -0.19934840832248563], [-0.11284703468980067, -1.5230586782738256, -0.1792522661413632]], [2, 3])], 'hvp_directions': [('array', [[0.020785845539093732, -0.19389507683548826, 0.9799352828595981], [1.3009680212028365, 1.5273274076043417, 0.2602230585053202]], [2, 3])], 'grad_ys': ('float', -0.0033758946729545), 'use_seeds': True}
