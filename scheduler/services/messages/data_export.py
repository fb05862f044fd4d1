"""The email saying a family's copy of its data is ready, with its link.

Wording it is when the copy is built (``data_export.build``, once, in the dispatcher's
transaction): the link it carries must open a copy that exists. The subject says no
more than "your copy", since mail is often read on shared screens.
"""

from __future__ import annotations

from flask_babel import gettext as _

from scheduler import links
from scheduler.mail import Message
from scheduler.models import OutboxMessage, User
from scheduler.services import data_export
from scheduler.services.messages.common import render_message, when_text
from scheduler.timeutil import utcnow


def data_export_message(row: OutboxMessage, family: User) -> Message | None:
    """Build the copy if still to be built, and word its email; None when it is gone."""
    if row.data_export_id is None:
        return None
    export = data_export.build(row.data_export_id, utcnow())
    if export is None or export.expires_at is None:
        return None  # expired, or replaced by a newer copy, before its email could go
    url = links.data_export(export.id, data_export.token(export))
    return render_message(
        row,
        family,
        _("Hearth: the copy you asked for is ready"),
        headline=_("The copy of your information you asked for is ready to download."),
        details=[
            _(
                "It works for you only, while you are logged in, until {when}. Then it is "
                "deleted; you can ask for a new one on your account page."
            ).format(when=when_text(export.expires_at, family.timezone)),
            _(
                "If you didn't ask for it, please change your password and tell the people "
                "who run Hearth for you."
            ),
        ],
        links=[(_("Download my copy"), url), (_("Open my account page"), links.data_export_page())],
    )
