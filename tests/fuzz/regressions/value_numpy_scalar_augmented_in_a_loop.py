import math
import numpy as np

def f(x0, x1):
    v8 = (x1 > 0.24).mean()
    v12 = v8
    for row15 in x1:
        v8 *= row15
        v12 = v12
    return v12


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value array([-0.05238568, -0.16068341,  0.36654834]) vs f(*args) np.float64(0.6666666666666666)', 'reason': '', 'seed': 206668, 'mode': 'aliasing', 'wrt': 'x1', 'options': {'unconnected_gradients': 'none'}, 'params': [('x0', [2, 1], 'array'), ('x1', [2, 3], 'array')], 'args': [('array', [[1.4180592120275377], [0.9867419766148567]], [2, 1]), ('array', [[0.43743802610913324, 0.35911472069035816, 0.3823803642675929], [-0.17963347490555379, -0.6711646736309483, 1.4378942017436986]], [2, 3])], 'directions': [('array', [[-0.38083308154823264, -0.48143143518320075, -0.34458296297415514], [0.2310060989609291, -0.16669355835982708, -1.368281642675832]], [2, 3])], 'hvp_directions': [('array', [[-0.3645423839092384, -0.9873254205567038, 1.0047876540300709], [0.11503368299959607, -0.44623588580898055, -2.1989877486170784]], [2, 3])], 'grad_ys': None, 'use_seeds': False}
