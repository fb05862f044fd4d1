"""Who may touch what: the predicates the web loaders and the services share."""

from __future__ import annotations

from scheduler.models import Appointment, Booking, Role, User, Workshop, WorkshopStatus
from scheduler.services import permissions


def user(user_id: int, role: str) -> User:
    return User(id=user_id, role=role)


FAMILY, OTHER_FAMILY = user(1, Role.FAMILY), user(2, Role.FAMILY)
FACILITATOR, OTHER_FACILITATOR = user(3, Role.FACILITATOR), user(4, Role.FACILITATOR)
ADMIN = user(5, Role.ADMIN)


def test_a_family_owns_only_its_own_bookings_and_appointments():
    for reservation in (Booking(family_id=FAMILY.id), Appointment(family_id=FAMILY.id)):
        assert permissions.owns(FAMILY.id, reservation)
        assert not permissions.owns(OTHER_FAMILY.id, reservation)
        assert not permissions.owns(None, reservation)  # a visitor owns nothing


def test_a_workshop_is_managed_by_its_facilitator_and_admins_only():
    draft = Workshop(facilitator_id=FACILITATOR.id, status=WorkshopStatus.DRAFT)

    assert permissions.can_manage_workshop(FACILITATOR, draft)
    assert permissions.can_manage_workshop(ADMIN, draft)
    for outsider in (OTHER_FACILITATOR, FAMILY, None):
        assert not permissions.can_manage_workshop(outsider, draft)
        assert not permissions.can_see_workshop(outsider, draft)  # a draft is a preview
    published = Workshop(facilitator_id=FACILITATOR.id, status=WorkshopStatus.PUBLISHED)
    assert permissions.can_see_workshop(None, published)


def test_an_appointment_is_managed_by_its_counselor_and_admins_only():
    appointment = Appointment(family_id=FAMILY.id, facilitator_id=FACILITATOR.id)

    assert permissions.can_manage_appointment(FACILITATOR, appointment)
    assert permissions.can_manage_appointment(ADMIN, appointment)
    for outsider in (OTHER_FACILITATOR, FAMILY, None):
        assert not permissions.can_manage_appointment(outsider, appointment)
