import numpy as np

def f(x0, x1):
    xs4 = [np.sum(x1.T)]
    for i5 in range(4):
        xs4.append(i5)
    v9 = np.stack(xs4)
    return np.var(v9)


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'hvp', 'detail': 'second derivative raised TypeError: Tuple must have size 2, but has size 1 [at indexing.py:23: grad = np.zeros(shape, dtype=np.result_type(ct))]', 'reason': '', 'seed': 43, 'mode': 'normal', 'wrt': (1,), 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [3], 'array'), ('x1', [2, 1], 'array')], 'args': [('array', [0.24422950667176005, 0.6781783200788559, -0.5855293813520697], [3]), ('array', [[-0.9086731231253482], [-1.9918382111213646]], [2, 1])], 'directions': [('array', [[0.9716229819862015], [0.016657300576047057]], [2, 1])], 'hvp_directions': [('array', [[0.20573134494682813], [-0.7835948765056134]], [2, 1])], 'grad_ys': None, 'use_seeds': False}
