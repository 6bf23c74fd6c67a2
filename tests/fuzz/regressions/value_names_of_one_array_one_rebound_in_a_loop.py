import math
import numpy as np

def f(x0, x1):
    view2 = x0
    alias4 = view2
    xs6 = [x1]
    for i7 in range(4):
        alias4 = 0.5
        view2[:, 0] *= xs6
    return x0


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value array([[ 0.26794633, -0.14628889,  0.14125584]]) vs f(*args) array([[-0.35128666, -0.14628889,  0.14125584]])', 'reason': '', 'seed': 221414, 'mode': 'aliasing', 'wrt': (0, 1), 'options': {'unconnected_gradients': 'none'}, 'params': [('x0', [1, 3], 'array'), ('x1', [], 'float')], 'args': [('array', [[-0.24481791362580832, -0.14628889233707676, 0.1412558379046613]], [1, 3]), ('float', -1.0944718995205103)], 'directions': [('array', [[-1.4468804136789741, -0.13008843666622172, 2.1128649663816734]], [1, 3]), ('float', -1.8536913760125233)], 'hvp_directions': [('array', [[2.525455051727047, -0.854593447256977, -0.7967096467798134]], [1, 3]), ('float', -0.1252435706337326)], 'grad_ys': ('array', [0.4798184074942875, -0.22391072474457144, -1.304062017295443], [3]), 'use_seeds': True}
