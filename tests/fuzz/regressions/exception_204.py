
def f(x0, x1):
    for row2 in x0:
        for i4 in range(4):
            x0 = x0
            row2 += row2 > 0.08


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'exception', 'detail': 'KeyError: \'.iter0\' [at control_flow.py:162: self.builder.op(Op("yield", [self.operand(body_env[n]) for n in names]))]', 'reason': '', 'seed': 204, 'mode': 'normal', 'wrt': (0, 1), 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [1, 3], 'array'), ('x1', [3], 'array')], 'args': [('array', [[0.9399015285265342, 0.16645895202252237, 2.2449982838133726]], [1, 3]), ('array', [1.096039412089566, 0.05691587474064322, -0.8391628657432598], [3])], 'directions': [('array', [[-0.8221751342080243, 0.3325989942003731, -1.9280692858999664]], [1, 3]), ('array', [0.11209641208466647, -1.310405694834296, -0.8677925637577188], [3])], 'hvp_directions': [('array', [[-0.40422157426117156, 1.1056299813890904, 0.45651425022272246]], [1, 3]), ('array', [1.7377453364441402, 0.9296913111952677, -0.7639025496509841], [3])], 'grad_ys': ('float', 0.3030665985649655), 'use_seeds': True}
