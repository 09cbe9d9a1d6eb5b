"""Images of question texts across GIFT and the question editor (walk-through after issue 17):

* the export wrote Wagtail's ``<embed embedtype="image" …>`` tag, which Moodle cannot read: it
  now writes ``<img src="absolute rendition URL" alt="…">`` in an ``[html]`` text, and the
  import turns an image of the site's library back into the embed (export → import changes
  nothing);
* an imported ``<img src=…>`` was dropped when a trainer re-saved the question in Draftail:
  an image of the library now opens in the editor as an image (and survives the save); any
  other image is named, with its line, in the import preview and in the editor."""

import html as html_lib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file
from wagtail.test.utils.form_data import nested_form_data

from quizzes.formats import parse_gift
from quizzes.models import Choice, Question, QuestionBank
from tests.factories import make_user

from .test_importing import wizard_post

pytestmark = pytest.mark.django_db

SITE = "https://lms.example.cn"


@pytest.fixture
def trainer_client(client, settings):
    settings.WAGTAILADMIN_BASE_URL = SITE
    client.force_login(make_user("trainer", district=None))
    return client


@pytest.fixture
def flow_chart():
    return Image.objects.create(title="受理流程图", file=get_test_image_file())


def embed(image, fmt="fullwidth", alt="流程图"):
    return f'<embed embedtype="image" format="{fmt}" id="{image.pk}" alt="{alt}"/>'


def upload(client, text, bank="副本"):
    """The import wizard's preview of ``text`` (a GIFT file) into ``bank``."""
    file = SimpleUploadedFile("bank.gift", text.encode("utf-8"), "text/plain")
    return wizard_post(
        client, reverse("quizzes_admin:import"), {"new_bank": bank, "format": "gift", "file": file}
    )


def confirm(client, preview):
    job = preview.context["job"]
    return wizard_post(client, reverse("quizzes_admin:import_job", args=[job.pk]), {"confirm": 1})


def test_export_writes_images_moodle_reads_and_import_restores_them(trainer_client, flow_chart):
    bank = QuestionBank.objects.create(name="原题库")
    question = Question.objects.create(
        bank=bank,
        name="时限",
        qtype="multichoice",
        text=f"<p>受理时限是多少个工作日？</p>{embed(flow_chart)}",
        explanation=f"<p>见右图。</p>{embed(flow_chart, 'right', '示意图')}",
    )
    Choice.objects.create(question=question, text="7个工作日", fraction=1)
    Choice.objects.create(question=question, text="30个工作日", fraction=0)

    gift = trainer_client.get(reverse("quizzes_admin:export", args=[bank.pk])).content.decode()
    assert "<embed" not in gift and "embedtype" not in gift
    assert "::时限::[html]" in gift
    # What Moodle reads: plain HTML images with absolute rendition URLs (GIFT escapes ":").
    (parsed,) = parse_gift(gift)
    stem_img = re.search(r"<img [^>]*>", parsed.text).group(0)
    assert 'alt="流程图"' in stem_img
    assert re.search(rf'src="{SITE}/media/images/[^"]+\.width-800\.png"', stem_img)
    note_img = re.search(r"<img [^>]*>", parsed.general_feedback).group(0)
    assert 'alt="示意图"' in note_img and ".width-500.png" in note_img

    # Imported here, the images are the library's again (same image, format and alt text).
    preview = upload(trainer_client, gift)
    assert not preview.context["preview"]["warnings"]
    confirm(trainer_client, preview)
    copy = Question.objects.get(bank__name="副本", name="时限")
    assert copy.text == question.text and copy.explanation == question.explanation
    # and importing the export over the original changes nothing
    again = upload(trainer_client, gift, bank="原题库")
    assert again.context["preview"]["counts"]["unchanged"] == 1


def draftail_value(page, name):
    """The value the editor's form holds for a rich-text field (Draftail's JSON)."""
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    return html_lib.unescape(match.group(1))


def resave(client, question):
    """Open the question in the editor and save it as it is (what a trainer's "save" posts)."""
    url = f"/admin/question/edit/{question.pk}/"
    page = client.get(url).content.decode()
    data = {
        "bank": question.bank_id,
        "category": "",
        "name": question.name,
        "default_mark": "1",
        "image": "",
        **{field: draftail_value(page, field) for field in ("text", "rubric", "explanation")},
    }
    response = client.post(url, nested_form_data(data))
    assert response.status_code == 302, response.content.decode()[:2000]
    question.refresh_from_db()
    return question


def test_imported_images_survive_the_editor_or_are_named_at_import(trainer_client, flow_chart):
    library = flow_chart.file.url  # /media/original_images/….png
    gift = (
        f'::图示::[html]<p>请看流程图：<img src="{library}" alt="流程图"></p>{{}}\n\n'
        '::外链::[html]<p>请看：<img src="https://moodle.example.org/pluginfile.php/7/a.png"'
        ' alt="外部图"></p>{}\n\n'
        "::选项图::[html]哪个是商标？"
        '{=[html]<img src\\="/media/original_images/logo.png">注册商标 ~版权}\n'
    )
    preview = upload(trainer_client, gift, bank="导入题库")
    warnings = preview.context["preview"]["warnings"]
    assert len(warnings) == 2, warnings
    assert (
        warnings[0].startswith("第 3 行：")
        and "https://moodle.example.org/pluginfile" in warnings[0]
    )
    assert warnings[1].startswith("第 5 行：") and "第 1 个答案" in warnings[1]
    html = preview.content.decode()
    assert 'data-testid="import-warnings"' in html and "moodle.example.org" in html
    confirm(trainer_client, preview)

    # The library image became the embed Draftail keeps; a re-save in the editor keeps it.
    question = Question.objects.get(name="图示")
    assert embed(flow_chart) in question.text
    assert embed(flow_chart) in resave(trainer_client, question).text

    # A question imported before (a plain <img> of the library stored) keeps it too.
    old = Question.objects.create(
        bank=question.bank,
        name="旧导入",
        qtype="essay",
        text=f'<p>请看：<img src="{SITE}{library}" alt="旧图"></p>',
    )
    assert embed(flow_chart, alt="旧图") in resave(trainer_client, old).text

    # The editor says which images it would drop before the trainer saves.
    external = Question.objects.get(name="外链")
    page = trainer_client.get(f"/admin/question/edit/{external.pk}/").content.decode()
    assert (
        "保存后会丢失这道题的图片" in page and "moodle.example.org/pluginfile.php/7/a.png" in page
    )
    page = trainer_client.get(f"/admin/question/edit/{question.pk}/").content.decode()
    assert "保存后会丢失" not in page
