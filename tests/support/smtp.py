"""A real SMTP server (aiosmtpd) on 127.0.0.1 for mail tests, and a local TLS authority."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from time import monotonic, sleep
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True)
class ReceivedEmail:
    """One message as the SMTP server took it in."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes
    #: Which connection carried it (numbered from 1 over the server's life).
    connection: int
    #: The user name the client logged in with, if it did.
    login: str | None
    #: Whether the message came over TLS (implicit or after STARTTLS).
    encrypted: bool


class _RecordingSMTP(SMTP):
    """aiosmtpd's protocol, telling the test server when a connection opens and closes."""

    def __init__(self, server: SMTPServer, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.test_server = server
        self.number = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        first = self.transport is None  # STARTTLS calls this again on the same connection
        super().connection_made(transport)
        if first:
            self.number = self.test_server._opened(self)

    def connection_lost(self, error: Exception | None) -> None:
        self.test_server._closed(self)
        super().connection_lost(error)


class _Controller(Controller):
    def __init__(self, server: SMTPServer, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.test_server = server

    def factory(self) -> SMTP:
        return _RecordingSMTP(self.test_server, self.handler, **self.SMTP_kwargs)


class SMTPServer:
    """A real SMTP server on 127.0.0.1 that keeps what it receives, for one test session.

    ``stop()`` and ``start()`` simulate an outage (the port stays the same);
    ``drop_connections()`` simulates a server hanging up on idle clients. AUTH is
    offered (without TLS too) and accepts ``USERNAME``/``PASSWORD``; logging in is
    optional. Recipients ``@refused.example`` are refused with a 550. With ``tls``
    ("starttls" or "ssl") and a server ``SSLContext`` it speaks TLS only.
    """

    host = "127.0.0.1"
    USERNAME = "hearth"
    PASSWORD = "smtp-secret"

    def __init__(self, tls: str | None = None, context: ssl.SSLContext | None = None) -> None:
        assert (tls is None) == (context is None), "TLS needs a server context"
        self.tls = tls
        self._context = context
        with socket.socket() as probe:  # a free port, kept across stop() and start()
            probe.bind((self.host, 0))
            self.port: int = probe.getsockname()[1]
        self.messages: list[ReceivedEmail] = []
        self._lock = threading.Lock()
        self._live: set[_RecordingSMTP] = set()
        self._opened_total = 0
        self._counted_from = 0
        self._controller: _Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    @property
    def open_connections(self) -> int:
        """How many client connections are open right now."""
        with self._lock:
            return len(self._live)

    def wait_all_closed(self, timeout: float = 2.0) -> bool:
        """Wait until every client has hung up; say whether they did."""
        try:
            self._wait(lambda: not self._live, timeout)
        except TimeoutError:
            return False
        return True

    @property
    def connections(self) -> int:
        """How many connections clients opened since the last ``clear()``."""
        with self._lock:
            return self._opened_total - self._counted_from

    def clear(self) -> None:
        """Forget received messages and counted connections."""
        with self._lock:
            self.messages.clear()
            self._counted_from = self._opened_total

    def start(self) -> None:
        if self._controller is not None:
            return
        tls_options: dict[str, Any] = {}
        if self.tls == "starttls":
            tls_options = {"tls_context": self._context, "require_starttls": True}
        elif self.tls == "ssl":
            tls_options = {"ssl_context": self._context}
        controller = _Controller(
            self,
            _Handler(self),
            hostname=self.host,
            port=self.port,
            authenticator=self._authenticate,
            auth_require_tls=False,
            **tls_options,
        )
        with self._lock:
            before = self._opened_total
        controller.start()
        # aiosmtpd opens one connection itself to check the server answers; wait for it
        # to end and leave it out of the count.
        self._wait(lambda: self._opened_total > before and not self._live)
        with self._lock:
            self._opened_total -= 1
        self._controller = controller

    def stop(self) -> None:
        """Hang up on every client and stop listening: the server is down."""
        if self._controller is None:
            return
        self.drop_connections()
        self._controller.stop()
        self._controller = None

    def drop_connections(self, reply: str | None = None) -> None:
        """Close every open connection, first sending ``reply`` (e.g. a 421 line) if given."""
        controller = self._controller
        if controller is None:
            return

        def close_all() -> None:
            for protocol in list(self._live):
                if protocol.transport is not None:
                    if reply:
                        protocol.transport.write(f"{reply}\r\n".encode())
                    protocol.transport.close()

        controller.loop.call_soon_threadsafe(close_all)
        self._wait(lambda: not self._live)

    def _opened(self, protocol: _RecordingSMTP) -> int:
        with self._lock:
            self._live.add(protocol)
            self._opened_total += 1
            return self._opened_total

    def _closed(self, protocol: _RecordingSMTP) -> None:
        with self._lock:
            self._live.discard(protocol)

    def _received(self, email: ReceivedEmail) -> None:
        with self._lock:
            self.messages.append(email)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        valid = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (self.USERNAME, self.PASSWORD)
        return AuthResult(success=valid, handled=False, auth_data=auth_data if valid else None)

    def _wait(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = monotonic() + timeout
        while not condition():
            if monotonic() > deadline:
                raise TimeoutError("the test SMTP server did not settle")
            sleep(0.005)


class _Handler:
    #: Recipients at this domain are refused, as a server refuses an unknown mailbox.
    REFUSED_DOMAIN = "@refused.example"

    def __init__(self, server: SMTPServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower().endswith(self.REFUSED_DOMAIN):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        auth = session.auth_data
        self.server._received(
            ReceivedEmail(
                mail_from=envelope.mail_from or "",
                rcpt_tos=list(envelope.rcpt_tos),
                message=BytesParser(policy=email_policy.default).parsebytes(raw),
                raw=raw,
                connection=getattr(server, "number", 0),
                login=auth.login.decode() if isinstance(auth, LoginPassword) else None,
                encrypted=server.transport.get_extra_info("ssl_object") is not None,
            )
        )
        return "250 Message accepted for delivery"


@dataclass(frozen=True)
class LocalCA:
    """A certificate authority of the test run and a server certificate for 127.0.0.1."""

    #: PEM file of the CA, for SSL_CERT_FILE.
    ca_file: str
    server_context: ssl.SSLContext
