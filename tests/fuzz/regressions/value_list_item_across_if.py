import math
import numpy as np

def f(x0):
    xs2 = [x0]
    if np.sum(x0) <= 0.8:
        x0 = x0
    v10 = xs2[-1]
    x0 += v10
    return v10


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value array([[0.69582622, 1.29781058, 1.65940103]]) vs f(*args) array([[1.39165244, 2.59562116, 3.31880206]])', 'reason': '', 'seed': 200232, 'mode': 'aliasing', 'wrt': (0,), 'options': {'unconnected_gradients': 'none'}, 'params': [('x0', [1, 3], 'array')], 'args': [('array', [[0.6958262219957536, 1.2978105790047254, 1.6594010307980123]], [1, 3])], 'directions': [('array', [[1.3965224507696605, -0.9469102912718262, -1.645296544110812]], [1, 3])], 'hvp_directions': [('array', [[0.22358553318359808, 1.6144505922643404, 0.5980015899441047]], [1, 3])], 'grad_ys': None, 'use_seeds': False}
