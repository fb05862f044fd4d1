"""Run Mozilla's ical.js (Thunderbird's parser) on a calendar body, through node.

`npm ci --prefix tests/js` installs it; `make test` does so when npm is there, and CI
sets HEARTH_REQUIRE_ICALJS=1 so a missing ical.js fails the run instead of skipping.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

HARNESS = Path(__file__).resolve().parent.parent / "js"
SCRIPT = HARNESS / "parse_ics.mjs"
INSTALL_HINT = "ical.js not installed: run `npm ci --prefix tests/js`"


def _node() -> str | None:
    return shutil.which("node")


def icaljs_available() -> bool:
    """Whether node and the ical.js package are both installed."""
    return _node() is not None and (HARNESS / "node_modules" / "ical.js").is_dir()


def require_icaljs() -> None:
    """Skip the calling test without ical.js, or fail it when CI requires ical.js."""
    if icaljs_available():
        return
    if os.environ.get("HEARTH_REQUIRE_ICALJS") == "1":
        pytest.fail(f"HEARTH_REQUIRE_ICALJS=1 but {INSTALL_HINT}")
    pytest.skip(INSTALL_HINT)


def _run(stdin: bytes) -> Any:
    node = _node()
    if node is None:
        raise RuntimeError("node is not installed")
    result = subprocess.run(
        [node, str(SCRIPT)],
        input=stdin,
        capture_output=True,
        cwd=HARNESS,
        # A fixed zone, so nothing ical.js reports depends on this machine's clock settings.
        env={**os.environ, "TZ": "UTC"},
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"ical.js failed (exit {result.returncode}): {result.stderr.decode(errors='replace')}"
        )
    return json.loads(result.stdout)


def parse_with_icaljs(ics: bytes) -> dict[str, Any]:
    """Return what ical.js read: {"events": [...], "timezones": [...], "errors": [...]}."""
    parsed: dict[str, Any] = _run(ics)
    return parsed


def parse_many_with_icaljs(bodies: list[bytes]) -> list[dict[str, Any]]:
    """Parse several bodies in one node process (each on its own, zones reset between)."""
    parsed: list[dict[str, Any]] = _run(json.dumps([b.decode("utf-8") for b in bodies]).encode())
    return parsed
