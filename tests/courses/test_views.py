import pytest

from courses.models import Enrollment, LessonProgress
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_enrol_view(client, learner, two_courses):
    basics, _advanced = two_courses
    client.force_login(learner)
    url = f"/learn/courses/{basics.pk}/enrol/"
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == basics.url
    client.post(url)
    assert Enrollment.objects.filter(user=learner, course=basics, source="self").count() == 1


def test_enrol_requires_login_and_csrf(client, learner, two_courses):
    basics, _advanced = two_courses
    url = f"/learn/courses/{basics.pk}/enrol/"
    assert client.post(url).status_code == 302 and not Enrollment.objects.exists()
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(learner)
    assert csrf_client.post(url).status_code == 403


def test_cannot_enrol_in_draft_course(client, learner, two_courses):
    basics, _advanced = two_courses
    basics.unpublish()
    client.force_login(learner)
    assert client.post(f"/learn/courses/{basics.pk}/enrol/").status_code == 404


def test_mark_complete_records_and_redirects_to_next(client, learner, two_courses):
    basics, _advanced = two_courses
    lessons = list(basics.lessons())
    client.force_login(learner)
    url = f"/learn/lessons/{lessons[0].pk}/complete/"
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == lessons[1].url
    client.post(url)  # idempotent
    assert LessonProgress.objects.filter(user=learner).count() == 1
    enrollment = Enrollment.objects.get(user=learner, course=basics)
    assert enrollment.last_lesson_id == lessons[0].pk
    for lesson in lessons[1:]:
        response = client.post(f"/learn/lessons/{lesson.pk}/complete/")
    assert response["Location"] == basics.url
    enrollment.refresh_from_db()
    assert enrollment.completed_at is not None


def test_mark_complete_refused_for_locked_course(client, learner, two_courses):
    _basics, advanced = two_courses
    client.force_login(learner)
    lesson = advanced.lessons().first()
    response = client.post(f"/learn/lessons/{lesson.pk}/complete/")
    assert response["Location"] == advanced.url
    assert not LessonProgress.objects.exists()


def test_admin_lists_are_district_scoped(client, two_courses):
    basics, _advanced = two_courses
    from courses.enrolment import enrol

    hp = make_user(username="hp-learner", district="HP", full_name="黄浦学员")
    pd = make_user(username="pd-learner", district="PD", full_name="浦东学员")
    enrol(hp, basics)
    enrol(pd, basics)
    admin = make_user("district_admin", district="HP", username="hp-admin")
    client.force_login(admin, backend="lms.organisation.auth.ProfileModelBackend")
    from django.urls import reverse

    html = client.get(reverse("enrollments:index")).content.decode()
    assert "hp-learner" in html and "pd-learner" not in html
    pd_enrollment = Enrollment.objects.get(user=pd)
    for view in ["inspect", "history"]:
        response = client.get(reverse(f"enrollments:{view}", args=[pd_enrollment.pk]))
        assert response.status_code in (403, 404), view
    # no change permission: Wagtail redirects to the dashboard
    response = client.get(reverse("enrollments:edit", args=[pd_enrollment.pk]))
    assert response.status_code == 302
    hp_enrollment = Enrollment.objects.get(user=hp)
    assert client.get(reverse("enrollments:inspect", args=[hp_enrollment.pk])).status_code == 200
    response = client.get(reverse("enrollments:index") + "?q=learner")
    assert [e.user.username for e in response.context["object_list"]] == ["hp-learner"]
    response = client.get(reverse("enrollments:index") + "?q=pd-learner")
    assert list(response.context["object_list"]) == []
    response = client.get(reverse("lesson_progress:index"))
    assert response.status_code == 200
