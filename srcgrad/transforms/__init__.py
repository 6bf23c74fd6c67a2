"""Transforms that change what is computed: reverse mode (`reverse_mode`), the state its reverse
sweep tracks (`adjoint_state`) and shape-only tapes (`tape_shapes`). Functionalization and
forward mode belong here too."""
