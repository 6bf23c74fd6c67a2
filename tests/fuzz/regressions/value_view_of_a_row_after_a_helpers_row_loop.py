import math
import numpy as np

def h0(a0, scale=1.5):
    for row0 in a0:
        row0 += np.sum(a0)
    a0 += 1.0
    return a0

def f(x0, x1):
    row10 = x0[0]
    row10 = row10 * h0(x0)
    return row10


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value array([[9.77818915, 2.60496252, 1.40874477]]) vs f(*args) array([[7.11145753, 1.41529908, 0.62082212]])', 'reason': '', 'seed': 403361, 'mode': 'aliasing', 'wrt': (0, 1), 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [1, 3], 'array'), ('x1', [], 'float')], 'args': [('array', [[-1.755652191731485, -0.27858400542564504, 0.12315676922929704]], [1, 3]), ('float', -0.7627325080766714)], 'directions': [('array', [[-0.32290693775865276, 0.33571769738521584, -0.13875968076434864]], [1, 3]), ('float', -0.20552108097686458)], 'hvp_directions': [('array', [[0.15981489191552134, -0.010489390593683194, 0.4522982450900851]], [1, 3]), ('float', -0.22523606420137626)], 'grad_ys': ('array', [[-1.8575552451201882, 0.2209567019982444, 1.7214354425629232]], [1, 3]), 'use_seeds': True}
