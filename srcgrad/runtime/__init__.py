"""srcgrad's run-time library: everything generated code calls, and nothing of the compiler.

An adjoint imports its helpers from these modules by name (the back end writes the import
lines), an exported module copies them, and the numba backend compiles them, so this package
depends on NumPy alone:

- `core`: `@primitive`, `stop_gradient`, tuples and lists, seeds, `unbroadcast`, item writes, checks
- `numeric`: NaN-safe division, products and logs; product and median weights
- `indexing`: the cotangents of reads and writes through indices (getitem, take, choose, select)
- `linalg`: dot, matmul, tensordot, kron and diagonal cotangents
- `shapes`: splitting cotangents among concatenated, stacked, tiled, padded inputs; axes
- `views`: writes that reach an array through a view of it, and whether a value is a view
"""
