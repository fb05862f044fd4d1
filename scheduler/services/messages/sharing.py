"""Emails about running a workshop together: a facilitator told it is shared with them."""

from __future__ import annotations

from flask_babel import gettext as _

from scheduler import links
from scheduler.extensions import db
from scheduler.mail import Message
from scheduler.models import OutboxMessage, User, Workshop, WorkshopFacilitator
from scheduler.services.messages.common import render_message


def cofacilitator_message(row: OutboxMessage, facilitator: User) -> Message | None:
    """Say who shared which workshop, while it still is shared with them.

    Taken off since (or taken off and added again, which queued an email of its own),
    there is nothing to say. The subject names no workshop (mail is read on shared
    screens, and a title can say what the group is about), nor says "workshop".
    """
    if row.workshop_id is None:
        return None
    shared = db.session.get(WorkshopFacilitator, (row.workshop_id, facilitator.id))
    if shared is None or shared.added_at > row.due_at:
        return None
    workshop = db.session.get_one(Workshop, shared.workshop_id)
    sharer = db.session.get(User, shared.added_by_id) if shared.added_by_id else None
    if sharer is not None:
        headline = _("{name} added you as a facilitator of “{title}”.").format(
            name=sharer.name, title=workshop.title
        )
    else:
        headline = _("You were added as a facilitator of “{title}”.").format(title=workshop.title)
    return render_message(
        row,
        facilitator,
        _("Hearth: you were added as a facilitator"),
        headline=headline,
        details=[
            _(
                "You run it with the same rights as its other facilitators. You see its "
                "rosters and can change its sessions. It is on your dashboard, in your "
                "morning email and in your calendar feed."
            ),
            _("If you weren't expecting this, please ask {name}.").format(
                name=workshop.facilitator.name
            ),
        ],
        links=[(_("Open the workshop"), links.manage_workshop(workshop.id))],
    )
