"""Send built emails: through one SMTP connection per sweep, or into a folder of files.

The folder is the default without SMTP_HOST, so a new checkout can read its mail.
"""

from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from scheduler.mail.wire import WireEmail

#: SMTP_SECURITY values and the port each uses when SMTP_PORT is not set.
DEFAULT_PORTS: Final = {"starttls": 587, "ssl": 465, "none": 25}


class FileTransport:
    """Write each email as one ``.eml`` file, named after its Message-ID, into a folder.

    A resend of the same outbox row overwrites its file instead of adding a copy.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def __enter__(self) -> FileTransport:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    def path_for(self, email: EmailMessage | WireEmail) -> Path:
        """Return the file an email is written to."""
        found = email.message_id if isinstance(email, WireEmail) else email.get("Message-ID", "")
        ident = str(found).strip().strip("<>")
        if not ident:
            raise ValueError("an email needs a Message-ID to be filed")
        return self.folder / (re.sub(r"[^A-Za-z0-9._@-]", "_", ident) + ".eml")

    def send(self, email: EmailMessage | WireEmail) -> None:
        """Write ``email`` to its file, replacing an earlier copy of the same row."""
        # LF line ends, as Django's file backend and mailbox tools write them: Python's
        # parser keeps CRLF inside bodies. The .ics stays CRLF inside its base64.
        path = self.path_for(email)
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(email.as_bytes())
        # Readers of the folder never see half a message.
        partial.replace(path)


class _SMTPOverTLS(smtplib.SMTP_SSL):
    """``SMTP_SSL`` that closes its socket when the TLS handshake fails.

    ``smtplib`` leaves the plain socket open then (a ResourceWarning, and a file
    descriptor lost on every retry against a misconfigured server).
    """

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        plain = socket.create_connection((host, port), timeout, self.source_address)
        try:
            return self.context.wrap_socket(plain, server_hostname=host)
        except BaseException:
            plain.close()
            raise


class SMTPTransport:
    """Send through one SMTP connection per ``with`` block.

    ``send`` raises the ``smtplib`` or ``OSError`` exception of a failure so the caller
    can retry the message later. A connection the server dropped between messages
    (idle timeout, restart, a ``421`` goodbye) is reopened once and the message retried.
    If the drop came after the server had taken the message but before it said so, that
    one message can arrive twice: the at-most-one in-flight duplicate of the outbox.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str = "",
        password: str = "",
        security: str = "starttls",
        timeout: float = 30.0,
    ) -> None:
        if security not in DEFAULT_PORTS:
            raise ValueError(f"SMTP_SECURITY must be one of {sorted(DEFAULT_PORTS)}: {security!r}")
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.security = security
        self.timeout = timeout
        self._connection: smtplib.SMTP | None = None
        self._open = False

    def __enter__(self) -> SMTPTransport:
        if self._open:
            raise RuntimeError("this SMTP transport is already open")
        self._connection = self._connect()
        self._open = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._open = False
        self._disconnect(polite=exc_type is None or issubclass(exc_type, Exception))

    def send(self, email: EmailMessage | WireEmail) -> None:
        """Send one email over the open connection, reconnecting once if it was dropped."""
        if not self._open:
            raise RuntimeError("open the SMTP transport with a `with` block before sending")
        if self._connection is None:  # the last reconnect failed; try again for this one
            self._connection = self._connect()
        try:
            _deliver(self._connection, email)
        except smtplib.SMTPServerDisconnected:
            pass
        except smtplib.SMTPResponseException as error:
            # 421: "closing transmission channel", e.g. a timeout notice read only now.
            if error.smtp_code != 421:
                raise
        else:
            return
        self._disconnect(polite=False)
        self._connection = self._connect()
        _deliver(self._connection, email)

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        # The host goes to the constructor: smtplib checks the certificate (implicit TLS
        # and STARTTLS alike) against the host name it was constructed with.
        connection = (
            _SMTPOverTLS(self.host, self.port, timeout=self.timeout, context=context)
            if self.security == "ssl"
            else smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        )
        try:
            connection.ehlo_or_helo_if_needed()
            if self.security == "starttls":
                # Raises SMTPNotSupportedError rather than go on in clear text.
                connection.starttls(context=context)
                connection.ehlo_or_helo_if_needed()
            if self.username:
                connection.login(self.username, self.password)
        except BaseException:
            connection.close()
            raise
        return connection

    def _disconnect(self, *, polite: bool) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if polite and connection.sock is not None:
                connection.quit()
        except (smtplib.SMTPException, OSError):
            pass  # the server is gone already; nothing left to say to it
        finally:
            connection.close()


def _deliver(connection: smtplib.SMTP, email: EmailMessage | WireEmail) -> None:
    if isinstance(email, WireEmail):  # already flattened, as send_message would have
        connection.sendmail(email.sender, [email.recipient], email.data)
    else:
        connection.send_message(email)


def transport_from_config(
    config: Mapping[str, Any], instance_path: str
) -> FileTransport | SMTPTransport:
    """Return the SMTP transport the settings name, or the file mailbox without SMTP_HOST."""
    host = str(config.get("SMTP_HOST") or "").strip()
    if not host:
        return FileTransport(Path(instance_path) / "mail")
    security = str(config.get("SMTP_SECURITY") or "starttls").strip().lower()
    if security not in DEFAULT_PORTS:
        raise ValueError(f"SMTP_SECURITY must be one of {sorted(DEFAULT_PORTS)}: {security!r}")
    return SMTPTransport(
        host,
        int(config.get("SMTP_PORT") or DEFAULT_PORTS[security]),
        username=str(config.get("SMTP_USERNAME") or ""),
        password=str(config.get("SMTP_PASSWORD") or ""),
        security=security,
    )
