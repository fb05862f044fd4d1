"""Email: build one message per recipient, and send it through SMTP or into a folder.

No Flask here. The dispatcher turns an outbox row into a :class:`Message`, calls
:func:`wire_email` (``wire``: the bytes :func:`build_email` of ``mime`` flattens to,
written directly), and hands the result to a transport (``transports``) opened once per
sweep::

    with transport_from_config(app.config, app.instance_path) as transport:
        for row in due_rows:
            transport.send(wire_email(message_for(row), sender=..., domain=...))
"""

from scheduler.mail.mime import ICS_METHODS, INVITE_FILENAME, Message, build_email, message_id
from scheduler.mail.transports import (
    DEFAULT_PORTS,
    FileTransport,
    SMTPTransport,
    transport_from_config,
)
from scheduler.mail.wire import WireEmail, wire_email

__all__ = [
    "DEFAULT_PORTS",
    "ICS_METHODS",
    "INVITE_FILENAME",
    "FileTransport",
    "Message",
    "SMTPTransport",
    "WireEmail",
    "build_email",
    "message_id",
    "transport_from_config",
    "wire_email",
]
