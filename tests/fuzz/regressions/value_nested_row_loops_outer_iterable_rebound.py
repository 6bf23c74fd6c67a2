import math
import numpy as np

def f(x0):
    for row4 in x0:
        for row6 in x0:
            row6 += x0.sum()
        x0 = x0
    return row4


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value array([ 0.28840623, -1.14114655,  0.58022843]) vs f(*args) array([105.38086603, 103.95131325, 105.67268823])', 'reason': '', 'seed': 262607, 'mode': 'aliasing', 'wrt': 0, 'options': {'unconnected_gradients': 'none'}, 'params': [('x0', [2, 3], 'array')], 'args': [('array', [[0.29668888302295116, 1.2335951290582259, 0.28770521904194596], [0.28840623329770826, -1.1411465462663846, 0.5802284318135329]], [2, 3])], 'directions': [('array', [[0.11206848970380213, -0.6628833512432389, 0.12044097801763406], [1.0709199912635756, -0.8996186710652591, -1.407489721631445]], [2, 3])], 'hvp_directions': [('array', [[1.5566426467831427, -0.09255330614531951, 1.1181208314652527], [-0.05615495874230728, -0.6346770962404512, 1.0058027733645922]], [2, 3])], 'grad_ys': ('float', -0.1777047632068109), 'use_seeds': True}
