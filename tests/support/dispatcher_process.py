"""A dispatcher in its own process, for the multi-process tests (not a test module).

Usage: python tests/support/dispatcher_process.py READY_FILE GO_FILE. Configuration comes from
the environment, as for `flask reminders run`. It signals READY_FILE once its app is
built, waits for GO_FILE so several processes start sweeping together, sweeps once,
and prints the result as JSON. HEARTH_TEST_SEND_DELAY slows each send, so a test can
kill it mid-sweep.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import scheduler.mail as mail
from scheduler import create_app
from scheduler.jobs import sweep_once


def main() -> None:
    ready, go = Path(sys.argv[1]), Path(sys.argv[2])
    delay = float(os.environ.get("HEARTH_TEST_SEND_DELAY", "0"))
    if delay:
        send = mail.SMTPTransport.send

        def slow_send(self: mail.SMTPTransport, email: object) -> None:
            time.sleep(delay)
            send(self, email)  # type: ignore[arg-type]

        mail.SMTPTransport.send = slow_send  # type: ignore[method-assign]
    app = create_app()
    with app.app_context():
        ready.touch()
        while not go.exists():
            time.sleep(0.01)
        result = sweep_once()
    print(json.dumps({"sent": result.sent, "failed": result.failed}))


if __name__ == "__main__":
    main()
