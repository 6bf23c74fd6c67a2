import math
import numpy as np

def f(x0, x1, x2):
    t0 = (x1 if np.var(0.5) < 0.42 else x0.T, 0.7)
    for k1, row2 in enumerate(x0):
        x1[[0, 2]] -= np.var(t0[0])
    x0 = x0 * x1
    return x0


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'hvp', 'detail': 'second derivative raised ValueError: setting an array element with a sequence. The requested array has an inhomogeneous shape after 1 dimensions. The detected shape was (2,) + inhomogeneous part. [at numeric.py:161: res = empty_like(]', 'reason': '', 'seed': 329360, 'mode': 'normal', 'wrt': (0, 2), 'options': {'unconnected_gradients': 'none'}, 'params': [('x0', [2, 3], 'array'), ('x1', [3], 'array'), ('x2', [], '0d')], 'args': [('array', [[-0.0994996440340287, -1.3311912958600682, -0.5830773960483346], [-0.8552468949944492, 0.11734174671949334, -1.3801894759254545]], [2, 3]), ('array', [1.1952803607978908, 0.083661431422696, 1.1655740049198944], [3]), ('array', -0.8436400044327974, [])], 'directions': [('array', [[-0.2567053738350075, -0.6308073003247986, 1.0013123000449], [-0.3859761793277729, -1.044721224584902, -0.046902643072993085]], [2, 3]), ('array', -0.3245071306444626, [])], 'hvp_directions': [('array', [[1.462159825099149, -0.185567679194343, 0.39960339547187096], [-1.591270664428655, -0.33487354983865397, -0.11878793244801265]], [2, 3]), ('array', 2.344193236854554, [])], 'grad_ys': ('array', [[-0.7189468570593733, 0.23235860977425288, 0.8125380538178141], [0.011123491234682387, 1.23948789033979, -2.090968496909256]], [2, 3]), 'use_seeds': True}
