"""Imports point one way (docs/architecture.md): each part of srcgrad may import only
the parts listed for it, read from the source with `ast`."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "srcgrad"

BASE = {"location", "errors", "runtime", "version"}
COMPILER = {"ir", "rules", "analyses", "frontend", "transforms", "optimize", "backend", "pipeline", "options", "api",
            "exporting", "jacobians", "cli", "arguments"}
ALLOWED = {
    "location": set(),
    "version": set(),
    "errors": {"location"},
    "runtime": {"errors", "location"},
    "ir": BASE | {"ir"},
    "rules": BASE | {"ir", "rules"},
    "analyses": BASE | {"ir", "rules", "analyses"},
    "frontend": BASE | {"ir", "rules", "frontend"},
    "transforms": BASE | {"ir", "rules", "analyses", "transforms"},
    "optimize": BASE | {"ir", "analyses", "optimize"},
    "backend": BASE | {"ir", "rules", "frontend", "backend"},
    "pipeline": BASE | {"ir", "rules", "analyses", "frontend", "transforms", "optimize", "backend", "arguments"},
    "options": BASE | {"pipeline", "frontend"},
    "arguments": BASE,
    "api": BASE | {"pipeline", "options", "backend", "frontend", "rules", "arguments"},
    "exporting": BASE | {"pipeline", "options", "backend", "frontend"},
    "jacobians": BASE | {"api", "linear_maps", "arguments", "options"},  # (options: the typed GradOptions)
    "linear_maps": BASE | {"api", "options", "frontend", "arguments"},
    "cli": BASE | {"api", "exporting", "options", "pipeline", "backend"},
    "nn": BASE | {"rules", "__init__"},
    "regularizers": BASE | {"rules", "__init__"},
    "optim": BASE | {"rules", "__init__", "api"},
    "__init__": {"api", "exporting", "jacobians", "linear_maps", "errors", "runtime", "rules", "version"},
    "__main__": {"cli"},
}


def part(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported_parts(path: Path) -> set[str]:
    found = set()
    depth_of_file = len(path.relative_to(PACKAGE).parts) - 1
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                names = [node.module] if node.module else []
            else:
                up = node.level - 1
                if up > depth_of_file:
                    continue
                prefix = list(path.relative_to(PACKAGE).parts[:-1])[: depth_of_file - up]
                target = prefix + (node.module.split(".") if node.module else [])
                if not target:  # `from .. import x`: x is a part of the package
                    found.update(a.name for a in node.names)
                    continue
                names = ["srcgrad." + ".".join(target)]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name == "srcgrad":
                found.add("__init__")
            elif name.startswith("srcgrad."):
                found.add(name.split(".")[1])
    return found


def test_imports_point_one_way():
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        owner = part(path)
        allowed = ALLOWED.get(owner)
        assert allowed is not None, f"{path}: add its part to ALLOWED (and to docs/architecture.md)"
        for used in imported_parts(path) - allowed - {owner}:
            problems.append(f"{path.relative_to(PACKAGE)} imports {used}")
    assert not problems, "\n".join(problems)


def test_runtime_imports_nothing_of_the_compiler():
    """Generated code imports `srcgrad.runtime` alone: export copies it and numba compiles it."""
    for path in sorted((PACKAGE / "runtime").rglob("*.py")):
        assert not imported_parts(path) & (COMPILER | {"__init__"}), path
        tops = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                tops.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops.add(node.module.split(".")[0])
        assert tops <= {"numpy", "functools", "operator", "typing", "__future__"}, (path, tops)


def test_rules_never_reach_into_later_stages():
    for path in sorted((PACKAGE / "rules").rglob("*.py")):
        assert not imported_parts(path) & {"transforms", "optimize", "backend", "frontend", "pipeline"}, path
