"""The TensorFlow reference numbers (shared/conformance/seed_oracle.json), by case id.

The shared copy beside the checkout is read when present; tests/data holds a copy for
clones without it."""

from __future__ import annotations

import json
from pathlib import Path


def load_oracle() -> dict:
    here = Path(__file__).resolve()
    shared = here.parents[2] / "shared" / "conformance" / "seed_oracle.json"
    path = shared if shared.exists() else here.parent / "data" / "seed_oracle.json"
    return {case["id"]: case for case in json.loads(path.read_text(encoding="utf-8"))}
