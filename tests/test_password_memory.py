"""Password hashing holds its memory once per process, not once per thread."""

from __future__ import annotations

import threading
import time

from argon2 import PasswordHasher

from scheduler.services import passwords


def test_a_worker_computes_one_password_hash_at_a_time(app, monkeypatch):
    """argon2id's 19 MiB buffer stays in the C heap after each hash: one per thread
    hashing at once. So a process's threads take turns (the CPU is the limit anyway)."""
    running, most = 0, 0
    counting = threading.Lock()
    verify = PasswordHasher.verify

    def observed(self: PasswordHasher, hash: str, password: str) -> bool:
        nonlocal running, most
        with counting:
            running += 1
            most = max(most, running)
        time.sleep(0.02)  # long enough for the other threads to try
        try:
            return verify(self, hash, password)
        finally:
            with counting:
                running -= 1

    monkeypatch.setattr(PasswordHasher, "verify", observed)
    stored = passwords.hash_password("correct horse battery staple")

    def log_in() -> None:
        with app.app_context():
            assert passwords.verify_password(stored, "correct horse battery staple")
            assert not passwords.verify_password(None, "correct horse battery staple")

    threads = [threading.Thread(target=log_in) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1
