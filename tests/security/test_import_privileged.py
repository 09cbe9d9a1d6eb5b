"""The staff import (lms.jobs wizard -> lms.rollout.importing) bypassed hole 8 of issue 15:
a district administrator could change the e-mail of a trainer or administrator whose staff
profile is in their district (then reset the password: account takeover), reactivate them or
deactivate them as "missing from the file". The import now treats such rows as errors and
never lists such people as leavers; e-mail changes of privileged accounts need the person's own
confirmation (the staff editor), never an import.
"""

import pytest

from lms.organisation import roles
from lms.organisation.models import StaffProfile
from lms.rollout import importing
from tests.factories import make_user

pytestmark = pytest.mark.django_db

EN = "name,employee_no,district,service_centre,phone,email\n"


def _row(profile, email):
    return (
        f"{profile.full_name},{profile.employee_no},黄浦区,{profile.service_centre},,{email}\n"
    ).encode()


def test_district_admin_cannot_change_a_trainers_email_by_import():
    admin = make_user(roles.DISTRICT_ADMIN, "HP", username="hp_import_admin")
    trainer = make_user(roles.TRAINER, "HP", username="hp_trainer_victim")
    profile = StaffProfile.objects.get(user=trainer)
    result = importing.preview(EN.encode() + _row(profile, "evil@example.cn"), "s.csv", user=admin)
    assert not result.ok
    if result.ok:  # pragma: no cover - the vulnerable behaviour
        importing.apply(result, user=admin)
    trainer.refresh_from_db()
    assert trainer.email != "evil@example.cn"


def test_city_admin_cannot_change_a_privileged_email_by_import():
    city = make_user(roles.CITY_ADMIN, None, username="city_import_admin")
    other = make_user(roles.DISTRICT_ADMIN, "HP", username="hp_admin_victim")
    profile = StaffProfile.objects.get(user=other)
    result = importing.preview(EN.encode() + _row(profile, "evil@example.cn"), "s.csv", user=city)
    assert not result.ok


def test_district_admin_import_does_not_deactivate_privileged_people():
    admin = make_user(roles.DISTRICT_ADMIN, "HP", username="hp_import_admin2")
    trainer = make_user(roles.TRAINER, "HP", username="hp_trainer_kept")
    staff = make_user(roles.WINDOW_STAFF, "HP", username="hp_staff_leaver")
    own = StaffProfile.objects.get(user=admin)
    result = importing.preview(
        EN.encode() + _row(own, admin.email), "s.csv", user=admin, deactivate_missing=True
    )
    leavers = {p.user_id for p in result.leavers}
    assert staff.pk in leavers
    assert trainer.pk not in leavers


def test_district_admin_still_updates_window_staff_by_import():
    admin = make_user(roles.DISTRICT_ADMIN, "HP", username="hp_import_admin3")
    staff = make_user(roles.WINDOW_STAFF, "HP", username="hp_staff_moved")
    profile = StaffProfile.objects.get(user=staff)
    result = importing.preview(EN.encode() + _row(profile, "new@example.cn"), "s.csv", user=admin)
    assert result.ok, result.errors
    importing.apply(result, user=admin)
    staff.refresh_from_db()
    assert staff.email == "new@example.cn"
