import math
import numpy as np
C4 = [[0.21, 0.18, 0.11], [0.01, 0.44, 0.64]]

def f(x0):
    view5 = x0
    if np.mean(x0) > 0.55:
        x0 = C4
    x0 /= view5
    return view5


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value array([-0.64192815, -0.97963866, -0.24119559]) vs f(*args) array([1., 1., 1.])', 'reason': '', 'seed': 201047, 'mode': 'aliasing', 'wrt': (0,), 'options': {'unconnected_gradients': 'none'}, 'params': [('x0', [3], 'array')], 'args': [('array', [-0.6419281540502922, -0.979638663011341, -0.24119559460191442], [3])], 'directions': [('array', [0.9647083954242475, 1.4660456173054461, 0.265965312016903], [3])], 'hvp_directions': [('array', [0.32311137594576445, 0.625032150198684, -0.7320142822598522], [3])], 'grad_ys': None, 'use_seeds': False}
