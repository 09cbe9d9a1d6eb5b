"""Window staff taking a training exam together (issue #7), for Locust.

    .venv/bin/locust -f loadtest/locustfile.py --headless -u 500 -r 50 -t 4m \
        --host http://127.0.0.1:8000 --csv var/locust

Each simulated user logs in as the next generated account (``load-000001`` … from
``generate_load_data``, password ``Load-test-2026``; ``LOCUST_USER_OFFSET`` skips accounts
already used by an earlier run), reads lessons with 5–15 s think time, and at the exam
start (``LOCUST_EXAM_AT`` seconds after the test starts, default 60) starts the course quiz
within a one-minute window (``LOCUST_EXAM_WINDOW``, default 60 s) — a training room beginning
an exam together. It answers with autosaves and think time, submits, opens the result, then
downloads one of its certificates (if it holds one) and goes back to reading lessons.
"""

import itertools
import os
import random
import re
import time
from urllib.parse import urlencode

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

PASSWORD = os.environ.get("LOCUST_PASSWORD", "Load-test-2026")
PREFIX = os.environ.get("LOCUST_PREFIX", "load-")
OFFSET = int(os.environ.get("LOCUST_USER_OFFSET", "0"))
EXAM_AT = float(os.environ.get("LOCUST_EXAM_AT", "60"))
EXAM_WINDOW = float(os.environ.get("LOCUST_EXAM_WINDOW", "60"))
COURSE = os.environ.get("LOCUST_COURSE", "/training/ip-basics/")
AUTOSAVES = int(os.environ.get("LOCUST_AUTOSAVES", "3"))

_numbers = itertools.count(OFFSET + 1)
_test_start = [time.time()]

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LESSON_LINK = re.compile(r'href="(' + re.escape(COURSE) + r'[\w-]+/)"')
QUIZ_LINK = re.compile(r'href="/quiz/(\d+)/"')
ATTEMPT = re.compile(r"/quiz/attempt/(\d+)/")
CERT_LINK = re.compile(r'href="(/certificates/\d+/pdf/)"')
RADIO = re.compile(r'<input type="(?:radio|checkbox)" name="(q\d+)" id="[^"]*" value="([^"]+)"')


@events.test_start.add_listener
def _started(environment, **kwargs):
    _test_start[0] = time.time()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class WindowStaff(FastHttpUser):
    """Locust's gevent HTTP client: several times cheaper per request than ``HttpUser``, which
    leaves more of this machine's two cores to the server under test."""

    wait_time = between(5, 15)

    def on_start(self):
        self.username = f"{PREFIX}{next(_numbers):06d}"
        self.exam_time = _test_start[0] + EXAM_AT + random.uniform(0, EXAM_WINDOW)  # noqa: S311
        self.exam_done = False
        self.lessons = []
        self.quiz_id = os.environ.get("LOCUST_QUIZ_ID")
        page = self.client.get("/accounts/login/", name="/accounts/login/ [GET]")
        token = CSRF.search(page.text).group(1)
        form = {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token}
        with self.client.post(
            "/accounts/login/",
            data=urlencode(form),
            headers={**FORM, "Referer": self.host + "/accounts/login/"},
            name="/accounts/login/ [POST]",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or not self.cookie("sessionid"):
                response.failure(f"login failed for {self.username}")
        self.client.get("/", name="/ (home)")
        course = self.client.get(COURSE, name="/training/<course>/")
        self.lessons = list(dict.fromkeys(LESSON_LINK.findall(course.text)))
        if not self.quiz_id:
            match = QUIZ_LINK.search(course.text)
            self.quiz_id = match.group(1) if match else None

    def cookie(self, name):
        return next((c.value for c in self.client.cookiejar if c.name == name), "")

    def csrf(self):
        return self.cookie("csrftoken")

    @task
    def next_step(self):
        if not self.exam_done and time.time() >= self.exam_time and self.quiz_id:
            self.take_exam()
            self.exam_done = True
            return
        self.read_lesson()

    def read_lesson(self):
        if self.lessons:
            self.client.get(random.choice(self.lessons), name="/training/<course>/<lesson>/")  # noqa: S311

    def take_exam(self):
        quiz = f"/quiz/{self.quiz_id}/"
        self.client.get(quiz, name="/quiz/<id>/")
        with self.client.post(
            quiz + "start/",
            data=urlencode({"csrfmiddlewaretoken": self.csrf()}),
            headers={**FORM, "Referer": self.host + quiz},
            name="/quiz/<id>/start/",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            match = ATTEMPT.search(response.headers.get("Location") or "")
            if response.status_code != 302 or not match:
                response.failure(f"no attempt started ({response.status_code})")
                return
        attempt = f"/quiz/attempt/{match.group(1)}/"
        response = self.client.get(attempt, name="/quiz/attempt/<id>/")
        answers = {}
        for name, value in RADIO.findall(response.text):
            answers.setdefault(name, value)
        positions = list(answers.items())
        for name, value in random.sample(positions, min(AUTOSAVES, len(positions))):  # noqa: S311
            time.sleep(random.uniform(5, 15))  # noqa: S311  thinking about a question
            self.client.post(
                attempt + "save/",
                json={"position": int(name[1:]), "answer": {"choice": value}},
                headers={"X-CSRFToken": self.csrf(), "Referer": self.host + attempt},
                name="/quiz/attempt/<id>/save/",
            )
        time.sleep(random.uniform(5, 15))  # noqa: S311
        data = {"csrfmiddlewaretoken": self.csrf(), **answers}
        self.client.post(
            attempt + "submit/",
            data=urlencode(data),
            headers={**FORM, "Referer": self.host + attempt},
            name="/quiz/attempt/<id>/submit/ (+result)",
        )
        certificates = self.client.get("/certificates/", name="/certificates/")
        links = CERT_LINK.findall(certificates.text)
        if links:
            time.sleep(random.uniform(5, 15))  # noqa: S311
            self.client.get(links[0], name="/certificates/<id>/pdf/")
