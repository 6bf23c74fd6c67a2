"""A random-program fuzzer for srcgrad with differential oracles.

- `generator`: seeded random Python + NumPy programs (`def f(x0, x1, ...)`), written to
  real files, with the constructs each one uses;
- `oracles`: runs one program against finite differences, `optimize=False`, the
  gradients' shapes and dtypes, `value_and_grad`'s value and a Hessian-vector product;
- `shrink`: delta debugging over the program's AST while the same oracle still fails,
  and saving the result under `regressions/`;
- `inputs`: fixed functions called with bad inputs (the input fuzzer).

Only srcgrad's public API is used, so the compiler's modules can move freely.
"""
