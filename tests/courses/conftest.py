import textwrap
from pathlib import Path

import pytest
from django.db import connection

from courses.loader import load_curriculum
from tests.factories import make_user

LESSON = """\
---
title: 第{n}讲 测试课文
slug: lesson-{n}
order: {n}
estimated_minutes: 10
summary: 第{n}讲的摘要。
sources:
  - 《中华人民共和国专利法》第42条
---
## 这个事项是什么

发明专利权的期限为**二十年**，自申请日起计算。

- 第一点
- 第二点

| 环节 | 时限 |
|---|---|
| 申请 | 3个月内 |

::: keypoints 本讲要点
- 发明专利 **20年**
- 实用新型 10年
:::

::: checklist
- 备案申请表
- 委托书（可选）
:::

::: steps 办理步骤
1. 核对材料：逐项核对。
2. 受理登记：在系统中登记。
:::

::: faq
Q: 可以代办吗？
A: 可以，
需提交委托书。
Q: 多久办完？
A: 7个工作日。
:::

::: warning 受理常见错误
外文合同**没有中文译本**。
:::
"""

COURSE = """\
---
code: {code}
title: 测试课程 {code}
slug: {slug}
summary: 用于测试的课程。
objectives:
  - 目标一
  - 目标二
estimated_minutes: 60
required: {required}
prerequisites: {prerequisites}
certificate_validity_days: 730
certificate_language: zh
order: {order}
hours: 2
---
这是课程介绍。
"""


def write_course(
    root,
    code="T-101",
    slug="course-a",
    lessons=3,
    prerequisites=(),
    order=1,
    required="true",
    dirname=None,
):
    course_dir = Path(root) / "courses" / (dirname or slug)
    (course_dir / "lessons").mkdir(parents=True, exist_ok=True)
    (course_dir / "course.md").write_text(
        COURSE.format(
            code=code,
            slug=slug,
            order=order,
            required=required,
            prerequisites="[" + ", ".join(prerequisites) + "]",
        ),
        encoding="utf-8",
    )
    for n in range(1, lessons + 1):
        (course_dir / "lessons" / f"{n:02d}-lesson-{n}.md").write_text(
            LESSON.format(n=n), encoding="utf-8"
        )
    return course_dir


@pytest.fixture
def curriculum(tmp_path):
    root = tmp_path / "content"
    root.mkdir()
    return root


@pytest.fixture
def two_courses(curriculum):
    """IP-style pair: T-101 (3 lessons) and T-201 requiring T-101 (2 lessons), loaded."""
    write_course(curriculum, "T-101", "course-a", lessons=3, order=1)
    write_course(curriculum, "T-201", "course-b", lessons=2, prerequisites=["T-101"], order=2)
    load_curriculum(curriculum)
    from courses.models import CoursePage

    return CoursePage.objects.get(code="T-101"), CoursePage.objects.get(code="T-201")


@pytest.fixture
def learner(db):
    return make_user(username="learner1")


def dedent(text):
    return textwrap.dedent(text).lstrip()


is_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
