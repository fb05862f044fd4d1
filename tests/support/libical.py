"""Run libical (Evolution's and GNOME Calendar's engine) on calendar bodies.

libical's Python bindings come from Debian (python3-gi, gir1.2-ical-3.0) and load only
in the system Python, not in the project's virtualenv, so tests/support/libical_parse.py runs
as a subprocess of /usr/bin/python3, as tests/support/icaljs.py runs node. `.ci/run` installs
the packages and sets HEARTH_REQUIRE_LIBICAL=1, so a libical that can't load fails CI
instead of skipping; `make test` says when it skips it.
"""

from __future__ import annotations

import json
import os
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

SYSTEM_PYTHON = Path(os.environ.get("HEARTH_LIBICAL_PYTHON", "/usr/bin/python3"))
SCRIPT = Path(__file__).resolve().parent / "libical_parse.py"
INSTALL_HINT = "libical not installed: run `apt-get install -y python3-gi gir1.2-ical-3.0`"
_PROBE = "import gi; gi.require_version('ICalGLib', '3.0'); from gi.repository import ICalGLib"


@cache
def libical_available() -> bool:
    """Whether the system Python can load libical's bindings."""
    if not SYSTEM_PYTHON.is_file():
        return False
    probe = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", _PROBE], capture_output=True, timeout=60, check=False
    )
    return probe.returncode == 0


def require_libical() -> None:
    """Skip the calling test without libical, or fail it when CI requires libical."""
    if libical_available():
        return
    if os.environ.get("HEARTH_REQUIRE_LIBICAL") == "1":
        pytest.fail(f"HEARTH_REQUIRE_LIBICAL=1 but {INSTALL_HINT}")
    pytest.skip(INSTALL_HINT)


def parse_many_with_libical(bodies: list[bytes]) -> list[dict[str, Any]]:
    """Return, for each body, what libical read: {"events": [...], "errors": [...]}."""
    result = subprocess.run(
        [str(SYSTEM_PYTHON), str(SCRIPT)],
        input=json.dumps([b.decode("utf-8") for b in bodies]).encode(),
        capture_output=True,
        # Nothing libical reports may depend on this machine's zone settings.
        env={"PATH": os.environ.get("PATH", ""), "TZ": "UTC"},
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"libical failed (exit {result.returncode}): {result.stderr.decode(errors='replace')}"
        )
    parsed: list[dict[str, Any]] = json.loads(result.stdout)
    return parsed
