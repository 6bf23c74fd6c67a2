
def h0(a0, scale=1.2):
    if scale <= 0.72:
        scale -= a0
    else:
        for i2 in 2:
            xs1.append(xs1)

def f(x0, x1):
    v4 = h0(x1, scale=x0)
    return x0


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'fd', 'detail': 'analytic 0 vs central differences h=1e-06: 0.1356571951, h=1e-07: 0.1356571949, h=1e-05: 0.1356571951, h=0.0001: 0.1356571951, richardson(1e-3): 0.1356571951', 'reason': '', 'seed': 5031, 'mode': 'normal', 'wrt': (0, 1), 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [], 'np64'), ('x1', [], 'float')], 'args': [('np64', -0.6697111347385207), ('float', -0.11513272223266477)], 'directions': [('np64', -0.39213597175400466), ('float', -1.7408941637775925)], 'hvp_directions': [('np64', 0.6750850436290605), ('float', -0.018860342037838058)], 'grad_ys': ('float', -0.3459442766288649), 'use_seeds': True}
