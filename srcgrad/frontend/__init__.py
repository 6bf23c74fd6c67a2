"""Front end: a Python function's source to SSA IR."""
