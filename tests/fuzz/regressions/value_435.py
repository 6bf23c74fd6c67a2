import numpy as np

def f(x0, x1, x2):
    for k13, row14 in enumerate(x2):
        if np.sum(x2) >= 0.7:
            break
    return row14


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value array([ 1.33043589, -0.27285805,  1.43810295]) vs f(*args) array([-0.07063475,  0.15063983,  2.38475572])', 'reason': '', 'seed': 435, 'mode': 'normal', 'wrt': (0,), 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [1, 3], 'array'), ('x1', [], '0d'), ('x2', [2, 3], 'array')], 'args': [('array', [[0.1507491888877615, -0.5514841125701996, 0.9654768339551225]], [1, 3]), ('array', -0.5623255915479134, []), ('array', [[-0.07063474500378618, 0.1506398267624774, 2.384755719812924], [1.3304358856672098, -0.2728580466102243, 1.4381029540372376]], [2, 3])], 'directions': [('array', [[-0.7874428131182377, -0.5008248032788195, 1.9405630836789893]], [1, 3])], 'hvp_directions': [('array', [[0.799510244807207, -0.44869226198770656, 1.1596291654675828]], [1, 3])], 'grad_ys': ('float', 0.37719516905266515), 'use_seeds': True}
