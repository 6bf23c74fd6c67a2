import numpy as np
C4 = [0.88, 0.68, 1.0]
C6 = np.array([[0.94], [0.41]])
C7 = [[0.15, 0.23, 0.04], [0.7, 0.11, 0.44]]

def f(x0, x1):
    k4, row5 = (0, x1)
    row5 = row5 + C4
    xs6 = [np.where(0 > 0.11, row5 / C6 ** 2, C7)]
    row5 = row5 + xs6
    v8 = np.var(row5)
    x1[0, 1] *= np.sum(np.stack([max(np.mean(x1), v8 + 0.05), 1.5, np.sum(x1[x1 > 0.43])]))
    return x1


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'fd', 'detail': 'analytic 2.606180747 vs central differences h=1e-06: 1.954434145, h=1e-07: 1.954434148, h=1e-05: 1.954434145, h=0.0001: 1.954434159, richardson(1e-3): 1.954434145', 'reason': '', 'seed': 211, 'mode': 'normal', 'wrt': (0, 1), 'options': {'unconnected_gradients': 'none'}, 'params': [('x0', [], 'float'), ('x1', [1, 3], 'array')], 'args': [('float', -1.2245272076063445), ('array', [[-0.026826622837420915, -1.077527402395413, 0.3647049017826796]], [1, 3])], 'directions': [('float', 0.6075354579858342), ('array', [[-1.737686445216381, 0.8884933436059216, 1.062142778614422]], [1, 3])], 'hvp_directions': [('float', -2.312882621101074), ('array', [[-0.13784245248802507, 0.3905859959578334, 0.2429696100840995]], [1, 3])], 'grad_ys': None, 'use_seeds': False}
