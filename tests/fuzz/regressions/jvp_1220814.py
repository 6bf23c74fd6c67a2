import math
import numpy as np

def f(x0):
    i1 = 0
    x0 = 0.5 * x0
    for i2 in range(3):
        x0 -= [i1, i2, x0.sum()]
        x0 = x0 * x0
    return x0


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'jvp', 'detail': '<u, J v> -0.014132752565577465 (forward) vs <J^T u, v> 0.18882577195960193 (reverse)', 'reason': '', 'seed': 1220814, 'mode': 'normal', 'wrt': 0, 'options': {'unconnected_gradients': 'none'}, 'params': [('x0', [1, 3], 'array')], 'args': [('array', [[0.8564511345342628, 0.13940678150466412, 1.1180381292498323]], [1, 3])], 'directions': [('array', [[1.6803433510603503, -1.9107346060188384, -0.8351227063879271]], [1, 3])], 'hvp_directions': [('array', [[-0.3405695002987335, -1.796830788902451, -0.023700316940100292]], [1, 3])], 'grad_ys': ('float', 0.33376878187732667), 'use_seeds': True}
