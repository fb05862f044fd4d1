"""Password hashing gives its memory back: a worker doesn't grow with each login."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: In a fresh process, as a gunicorn worker starts: four threads check passwords at
#: production's argon2id profile (19 MiB each), then the growth of RSS is printed.
_WORKER = textwrap.dedent(
    """
    import threading
    from argon2 import PasswordHasher
    from scheduler.services import passwords  # what a worker imports

    def rss_mb():
        status = open("/proc/self/status").read()
        return int(status.split("VmRSS:")[1].split()[0]) // 1024

    hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    stored = hasher.hash("correct horse battery staple")
    start = rss_mb()

    def log_ins():
        for _ in range(5):
            hasher.verify(stored, "correct horse battery staple")

    threads = [threading.Thread(target=log_ins) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(rss_mb() - start)
    """
)


def test_a_worker_gives_back_the_memory_of_the_passwords_it_checked():
    grown = subprocess.run(
        [sys.executable, "-c", _WORKER], cwd=ROOT, capture_output=True, text=True, check=True
    )
    # Without it, glibc keeps one 19 MiB buffer per thread: 76 MB here.
    assert int(grown.stdout) < 19
