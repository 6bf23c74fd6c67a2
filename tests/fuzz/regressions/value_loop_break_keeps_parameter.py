import math
import numpy as np

def f(x0, x1):
    alias3 = x1
    for i5 in range(2):
        if np.mean(x1) > 0.12:
            break
        x1 = 0.5
    x1 *= 0.5
    return alias3


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value array([[0.05272337],\n       [0.54847322]]) vs f(*args) array([[0.02636168],\n       [0.27423661]])', 'reason': '', 'seed': 276830, 'mode': 'aliasing', 'wrt': (0,), 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [2, 3], 'array'), ('x1', [2, 1], 'array')], 'args': [('array', [[-0.36638079666897777, 0.6315717738856176, 0.6036727273518132], [0.3870941158783289, -0.5156025455913418, -0.7806478640398371]], [2, 3]), ('array', [[0.05272336820990357], [0.5484732158186278]], [2, 1])], 'directions': [('array', [[-1.7990985958589207, 1.0642368765592356, -1.0486498898680408], [1.7375987731215337, 1.1181352190895977, -0.31272013731212955]], [2, 3])], 'hvp_directions': [('array', [[0.6111639766244257, -0.6713529639974037, 0.49991132936589766], [-0.1401500851700951, -0.13007389556405, 0.46402189148690026]], [2, 3])], 'grad_ys': ('float', -0.9718191188727039), 'use_seeds': True}
