"""Shared test data factories for the organisation (apps add their own next to their tests)."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from lms.organisation import roles
from lms.organisation.models import District, StaffProfile


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("Pass-word-123")


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    full_name = factory.Sequence(lambda n: f"学员{n}")
    district = factory.LazyFunction(lambda: District.objects.get(code="HP"))
    employee_no = factory.Sequence(lambda n: f"E{n:06d}")
    service_centre = "黄浦区政务服务中心"


def make_user(role=roles.WINDOW_STAFF, district="HP", username=None, **profile):
    """A user with a profile in ``district`` (a code, or None) and the given role group."""
    kwargs = {"user__username": username} if username else {}
    district_obj = District.objects.get(code=district) if district else None
    profile_obj = StaffProfileFactory(district=district_obj, **kwargs, **profile)
    user = profile_obj.user
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user
