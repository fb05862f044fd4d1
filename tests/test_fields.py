"""Shared form fields: the zone pick-list renders exactly as WTForms' own select would."""

from __future__ import annotations

import pytest
from flask_wtf import FlaskForm
from wtforms.validators import InputRequired
from wtforms.widgets import Select

from scheduler.web.fields import TimezoneField


class ZoneForm(FlaskForm):
    zone = TimezoneField(validators=[InputRequired()])


@pytest.mark.parametrize(
    "sent",
    [None, "America/New_York", "Pacific/Chatham", "Etc/GMT+12", "America/Nowhere", "", "<b>"],
)
@pytest.mark.parametrize("attributes", [{}, {"class_": "wide", "aria-describedby": "zone-help"}])
def test_the_zone_list_renders_byte_for_byte_as_wtforms_select(app, sent, attributes):
    data = {} if sent is None else {"zone": sent}
    with app.test_request_context(method="POST", data=data):
        form = ZoneForm(meta={"csrf": False})
        field = form.zone
        assert field.widget(field, **attributes) == Select()(field, **attributes)
        if sent == "Pacific/Chatham":
            assert '<option selected value="Pacific/Chatham">' in field()
