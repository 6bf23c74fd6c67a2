import math
import numpy as np

def h0(a0, scale=0.5):
    if np.mean(1.0) <= 0.17:
        return a0
    a0 *= 0.5
    return a0

def f(x0, x1):
    x0 = np.subtract(h0(x1), h0(x1))
    k8, row9 = (0, x0)
    return row9


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value array([[ 0.26095454, -0.57132391, -0.16183563]]) vs f(*args) array([[0., 0., 0.]])', 'reason': '', 'seed': 214553, 'mode': 'aliasing', 'wrt': (0, 1), 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [1, 3], 'array'), ('x1', [1, 3], 'array')], 'args': [('array', [[1.8544752393032842, -0.5019076000181975, 0.670536992467128]], [1, 3]), ('array', [[1.0438181570384883, -2.285295620250444, -0.6473425313714913]], [1, 3])], 'directions': [('array', [[-0.2638288643855831, 0.6130094647194265, -0.1133198564750904]], [1, 3]), ('array', [[-0.036896044680710886, 0.27058740225421996, 0.3380605743184544]], [1, 3])], 'hvp_directions': [('array', [[2.2374097344795523, -0.3059834092827756, 0.03314696454233056]], [1, 3]), ('array', [[-0.42219342671032434, -0.46376645331166727, 0.15434352081590016]], [1, 3])], 'grad_ys': ('float', 0.28415437431596224), 'use_seeds': True}
