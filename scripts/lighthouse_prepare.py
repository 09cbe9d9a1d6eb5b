"""For `make lighthouse` (scripts/lighthouse.sh): a demo learner part-way through the first
required course (one lesson read, a failed attempt, one in progress), logged in. Prints JSON:
the session cookie and the URLs of the pages to audit."""

import json
import os
import sys
from datetime import timedelta
from importlib import import_module

import django

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
django.setup()


def main() -> None:
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )

    from courses.models import CoursePage, Enrollment
    from courses.progress import complete_lesson
    from quizzes import attempts
    from quizzes.models import Attempt, Quiz

    user = get_user_model().objects.get(username="hp-staff1")
    enrolled = Enrollment.objects.filter(user=user).values_list("course_id", flat=True)
    course = (
        CoursePage.objects.live().filter(pk__in=enrolled, quiz__isnull=False).order_by("path")
    ).first()
    lessons = list(course.lessons())
    complete_lesson(user, lessons[0], course=course)
    quiz = Quiz.objects.get(course=course)
    Attempt.objects.filter(user=user, quiz=quiz).delete()
    failed = attempts.submit_attempt(attempts.start_attempt(quiz, user))
    # As if submitted yesterday: past any wait between attempts.
    Attempt.objects.filter(pk=failed.pk).update(
        submitted_at=failed.submitted_at - timedelta(days=1)
    )
    in_progress = attempts.start_attempt(quiz, user)

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    print(
        json.dumps(
            {
                "cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}",
                "pages": {
                    "home": "/",
                    "course": course.url,
                    "lesson": lessons[1].url,
                    "quiz": f"/quiz/attempt/{in_progress.pk}/",
                    "result": f"/quiz/attempt/{failed.pk}/result/",
                },
            }
        )
    )


if __name__ == "__main__":
    main()
