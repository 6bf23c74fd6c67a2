import numpy as np
C1 = [[0.47, 0.62, 0.55]]

def f(x0):
    t2 = (np.logaddexp(x0, C1).T.T, x0)
    for i9 in range(3):
        v8 = t2
    return v8


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'exception', 'detail': 'ValueError: setting an array element with a sequence. The requested array has an inhomogeneous shape after 1 dimensions. The detected shape was (2,) + inhomogeneous part. [at numeric.py:310: res = empty_like(]', 'reason': '', 'seed': 200856, 'mode': 'aliasing', 'wrt': 0, 'options': {'unconnected_gradients': 'none'}, 'params': [('x0', [3], 'array')], 'args': [('array', [-1.1253306310216364, 0.2385066079280718, -1.7340825917503593], [3])], 'directions': [('array', [-0.06472310845177211, -0.40262299208322105, -0.5527833430708499], [3])], 'hvp_directions': [('array', [0.27386193984022283, 1.32118874141848, -0.2876857994660332], [3])], 'grad_ys': None, 'use_seeds': False}
