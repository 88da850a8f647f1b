"""Run a snippet in a new Python process: for what only a fresh interpreter shows (which
modules an import pulls in, start-up work)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def run_fresh(code: str, timeout: float = 300) -> Any:
    """Run `code` in a new interpreter; the JSON printed on its last line of output."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=timeout)
    return json.loads(out.stdout.strip().splitlines()[-1])
