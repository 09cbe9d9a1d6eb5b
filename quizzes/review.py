"""Where to read up on a missed question: the lesson it comes from.

Order of evidence, best first:
1. the question's lesson tag (GIFT ``// [tag:lesson:<slug>]``, ``Question.tags``) naming a
   lesson of the quiz's course by its slug;
2. a lesson of the quiz's course whose title names the question's category (a GIFT
   ``$CATEGORY: 课程/专利`` category ``专利`` maps to the lesson "专利的三种类型与保护期限"),
   or whose slug equals the category's last part;
3. the course page itself (its lesson list), so a missed question always has somewhere to go.
"""


def _norm(text: str) -> str:
    return "".join(str(text or "").split()).lower()


def _match(category_leaf: str, lessons: list) -> object | None:
    leaf = _norm(category_leaf)
    if not leaf:
        return None
    for lesson in lessons:
        title = _norm(lesson.title)
        if leaf == _norm(lesson.slug) or leaf in title or (len(title) >= 2 and title in leaf):
            return lesson
    return None


def lesson_links(quiz, questions, request) -> dict[int, dict]:
    """``{question id: {"title", "url", "is_course"}}`` for ``questions`` of ``quiz`` (one
    query for the course's lessons; none when the quiz has no course and no tags)."""
    from courses.models import LessonPage

    course = quiz.course if quiz.course_id else None
    lessons = []
    if course is not None:
        lessons = list(
            LessonPage.objects.child_of(course).live().defer_streamfields().order_by("path")
        )
    links = {}
    for question in questions:
        by_slug = {lesson.slug: lesson for lesson in lessons}
        tagged = [by_slug[slug] for slug in question.tag_values("lesson") if slug in by_slug]
        lesson = tagged[0] if tagged else None
        if lesson is None:
            leaf = question.category.name if question.category_id else ""
            lesson = _match(leaf, lessons)
        if lesson is not None:
            links[question.pk] = {
                "title": lesson.title,
                "url": lesson.get_url(request=request),
                "is_course": False,
            }
        elif course is not None:
            links[question.pk] = {
                "title": course.title,
                "url": course.get_url(request=request),
                "is_course": True,
            }
    return links


def missed(item: dict) -> bool:
    """A scored, marked question that did not earn full marks."""
    fraction = item.get("fraction")
    return item["question"].is_scored and fraction is not None and fraction < 1


def attach_lessons(items: list[dict], quiz, request) -> None:
    """Add ``item["lesson"]`` to each missed question of a review."""
    wanted = [item["question"] for item in items if missed(item)]
    if not wanted:
        return
    links = lesson_links(quiz, wanted, request)
    for item in items:
        if missed(item):
            item["lesson"] = links.get(item["question"].pk)
