import numpy as np

def h0(a0, scale=0.4):
    a0 += a0
    return a0

def f(x0):
    for row0 in x0:
        if np.min(x0) <= 0.74:
            if np.mean(h0(x0)) >= 0.6:
                pass
        else:
            x0 = x0
    return (row0, 0)


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value (array([ 0.19628441, -1.52375662,  0.36958818]), 0) vs f(*args) (array([ 0.39256882, -3.04751324,  0.73917636]), 0)', 'reason': '', 'seed': 200060, 'mode': 'aliasing', 'wrt': 0, 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [1, 3], 'array')], 'args': [('array', [[0.19628440947838174, -1.5237566208283218, 0.36958817832902013]], [1, 3])], 'directions': [('array', [[0.10018677886407175, -1.0678942231654043, 1.4473205976570778]], [1, 3])], 'hvp_directions': [('array', [[0.6780348797126899, -0.7014259718232154, 0.2818977703011909]], [1, 3])], 'grad_ys': None, 'use_seeds': False}
