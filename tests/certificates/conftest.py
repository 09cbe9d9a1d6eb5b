import pytest
from wagtail.models import Page

from courses.models import CoursePage, Enrollment, TrainingIndexPage


@pytest.fixture
def training_index(db):
    root = Page.get_first_root_node()
    index = TrainingIndexPage(title="培训", slug="training-cert-tests")
    root.add_child(instance=index)
    return index


def add_course(index, code, required=True, language="zh", title=None):
    course = CoursePage(
        title=title or f"专利检索基础{code}",
        slug=code.lower(),
        code=code,
        summary="课程简介",
        hours=8,
        required_for_authorisation=required,
        certificate_language=language,
    )
    index.add_child(instance=course)
    return course


@pytest.fixture
def course(training_index):
    return add_course(training_index, "IP101")


@pytest.fixture
def courses(training_index):
    """Two required courses and one optional."""
    return [
        add_course(training_index, "IP101"),
        add_course(training_index, "IP102", language="bilingual"),
        add_course(training_index, "IP900", required=False),
    ]


def complete(user, course):
    from django.utils import timezone

    enrollment, _ = Enrollment.objects.get_or_create(user=user, course=course)
    enrollment.completed_at = timezone.now()
    enrollment.save()
    return enrollment
