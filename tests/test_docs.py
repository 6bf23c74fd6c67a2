"""The documentation: the site builds with `mkdocs build --strict`, and every ```python block in
README.md and docs/*.md runs.

Each Markdown file's ```python blocks run in order in one fresh namespace (a later block may use
what an earlier one defined), in a temporary working directory. Each block is written to a file
of its own before it runs, so that srcgrad can read the source of the functions it defines.
Blocks that are not Python to run (shell commands, signatures, output) are tagged ```console or
```text in the Markdown, and are not run.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import srcgrad

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# An opening fence: up to three spaces, three or more backticks, then the info string.
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,})\s*(?P<info>[^`]*?)\s*$")


def python_blocks(text: str) -> list[tuple[int, str]]:
    """The fenced blocks of `text` tagged `python`, as (line of the opening fence, code)."""
    blocks: list[tuple[int, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        language = opening["info"].split()[0] if opening["info"] else ""
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            closing = re.match(r"^ {0,3}(`{3,})\s*$", lines[j])
            if closing and len(closing[1]) >= len(fence):
                break
            line = lines[j]
            body.append(line[min(indent, len(line) - len(line.lstrip(" "))):])
            j += 1
        if language == "python":
            blocks.append((i + 1, "\n".join(body) + "\n"))
        i = j + 1
    return blocks


def test_python_blocks_are_found_as_fenced():
    text = "# t\n\n```python\na = 1\n```\n\n```text\nnot python\n```\n\n- item\n\n  ```python\n  b = a\n  ```\n"
    assert python_blocks(text) == [(3, "a = 1\n"), (13, "b = a\n")]


@pytest.mark.parametrize("document", [d for d in DOCUMENTS if python_blocks(d.read_text(encoding="utf-8"))],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_run(document: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    blocks = python_blocks(document.read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    namespace: dict = {"__name__": f"docs_{re.sub(r'[^0-9a-zA-Z_]', '_', document.stem)}"}
    where = document.relative_to(ROOT)
    for line, code in blocks:
        path = tmp_path / f"{document.stem.replace('-', '_')}_line_{line}.py"
        path.write_text(code, encoding="utf-8")
        started = time.perf_counter()
        failure = None
        try:
            exec(compile(code, str(path), "exec"), namespace)  # noqa: S102 (running the docs is the test)
        except Exception as error:  # noqa: BLE001 (any error is reported below, with the block)
            failure = f"{type(error).__name__}: {error}"
        if failure is not None:
            pytest.fail(f"{where}:{line}: the python block raised {failure}\n{textwrap.indent(code, '    ')}",
                        pytrace=False)
        elapsed = time.perf_counter() - started
        assert elapsed < 5.0, f"{where}:{line}: the python block took {elapsed:.1f} s; keep examples fast"


def test_python_blocks_are_not_tagged_as_fragments():
    """Blocks that do not run are tagged `text` or `console`, not a made-up variant of `python`."""
    for document in DOCUMENTS:
        for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), 1):
            opening = _FENCE.match(line)
            if opening and opening["info"]:
                language = opening["info"].split()[0].lower()
                other_python = language in ("py", "py3", "python3") or (language.startswith("python")
                                                                        and language != "python")
                assert not other_python, \
                    f"{document.relative_to(ROOT)}:{number}: tag `{language}`: use python (run) or text/console"


def test_site_builds_strictly(tmp_path: Path):
    for module in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers"):
        if importlib.util.find_spec(module) is None:
            pytest.fail(f"{module} is not installed: pip install '.[docs]' (or '.[test]')", pytrace=False)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               NO_MKDOCS_2_WARNING="1")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--clean",
                           "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(tmp_path / "site")],
                          check=False, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    site = tmp_path / "site"
    for page in ("index.html", "getting-started/index.html", "tour/index.html", "reference/index.html",
                 "numpy-coverage/index.html", "gallery/index.html"):
        assert (site / page).is_file(), page
    reference = (site / "reference" / "index.html").read_text(encoding="utf-8")
    for name in srcgrad.__all__:
        if name != "__version__":
            assert f'id="srcgrad.{name}"' in reference, f"srcgrad.{name} is missing from the API reference"
