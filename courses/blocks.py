"""The lesson body: one StreamBlock of named StructBlocks (bakerydemo base/blocks.py style)."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock

RICH_FEATURES = ["h3", "h4", "bold", "italic", "ol", "ul", "link", "document-link", "hr"]


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("标题"), max_length=120)
    level = blocks.ChoiceBlock(
        label=_("级别"), choices=[("h2", "H2"), ("h3", "H3")], default="h2", required=False
    )

    class Meta:
        icon = "title"
        template = "blocks/heading_block.html"
        label = _("小标题")
        description = _("把课文分成几节。")
        preview_value = {"text": "专利的三种类型", "level": "h2"}


class TextBlock(blocks.StructBlock):
    text = blocks.RichTextBlock(label=_("正文"), features=RICH_FEATURES)

    class Meta:
        icon = "pilcrow"
        template = "blocks/text_block.html"
        label = _("正文")
        description = _("段落、列表和表格。")
        preview_value = {"text": "<p>发明专利保护期为二十年，自申请日起计算。</p>"}


class CaptionedImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("图片"))
    caption = blocks.CharBlock(label=_("说明"), required=False, max_length=200)
    alt = blocks.CharBlock(label=_("替代文字"), required=False, max_length=200)

    class Meta:
        icon = "image"
        template = "blocks/image_block.html"
        label = _("图片")
        description = _("带说明的图片。")


class VideoBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("标题"), required=False, max_length=120)
    file = DocumentChooserBlock(label=_("上传的视频文件"), required=False)
    embed = EmbedBlock(label=_("嵌入视频地址"), required=False)
    transcript = blocks.TextBlock(label=_("文字稿"), required=False)

    class Meta:
        icon = "media"
        template = "blocks/video_block.html"
        label = _("视频")
        description = _("上传的视频文件或嵌入地址，附文字稿。")


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("文件"))
    title = blocks.CharBlock(label=_("显示名称"), required=False, max_length=120)

    class Meta:
        icon = "doc-full"
        template = "blocks/document_block.html"
        label = _("下载文件")
        description = _("表格、指南等可下载文件。")


class KeyPointsBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("标题"), required=False, default="要点", max_length=60)
    points = blocks.ListBlock(blocks.CharBlock(label=_("要点")), label=_("要点"))

    class Meta:
        icon = "pick"
        template = "blocks/keypoints_block.html"
        label = _("要点提示")
        description = _("本节必须记住的几点。")
        preview_value = {"title": "要点", "points": ["发明专利20年", "实用新型10年"]}


class ChecklistItemBlock(blocks.StructBlock):
    item = blocks.CharBlock(label=_("材料"), max_length=300)
    optional = blocks.BooleanBlock(label=_("可选"), required=False)


class ChecklistBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("标题"), required=False, default="申请材料清单", max_length=60)
    items = blocks.ListBlock(ChecklistItemBlock(), label=_("材料"))

    class Meta:
        icon = "list-ul"
        template = "blocks/checklist_block.html"
        label = _("材料清单")
        description = _("申请人需要携带或上传的材料。")
        preview_value = {
            "title": "申请材料清单",
            "items": [
                {"item": "备案申请表", "optional": False},
                {"item": "委托书", "optional": True},
            ],
        }


class StepBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("步骤"), max_length=120)
    detail = blocks.TextBlock(label=_("说明"), required=False)


class StepsBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("标题"), required=False, default="办理步骤", max_length=60)
    steps = blocks.ListBlock(StepBlock(), label=_("步骤"))

    class Meta:
        icon = "list-ol"
        template = "blocks/steps_block.html"
        label = _("办理步骤")
        description = _("按顺序的操作步骤。")
        preview_value = {
            "title": "办理步骤",
            "steps": [{"title": "核对材料", "detail": "逐项核对。"}],
        }


class FAQItemBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("问题"), max_length=300)
    answer = blocks.RichTextBlock(label=_("回答"), features=RICH_FEATURES)


class FAQBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("标题"), required=False, default="常见问题", max_length=60)
    items = blocks.ListBlock(FAQItemBlock(), label=_("问答"))

    class Meta:
        icon = "help"
        template = "blocks/faq_block.html"
        label = _("常见问题")
        description = _("窗口常被问到的问题和回答。")
        preview_value = {
            "title": "常见问题",
            "items": [{"question": "可以代办吗？", "answer": "<p>可以，需提交委托书。</p>"}],
        }


class WarningBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("标题"), required=False, default="注意", max_length=60)
    text = blocks.RichTextBlock(label=_("内容"), features=RICH_FEATURES)

    class Meta:
        icon = "warning"
        template = "blocks/warning_block.html"
        label = _("注意事项")
        description = _("受理时的常见错误等提醒。")
        preview_value = {"title": "受理常见错误", "text": "<p>合同未附中文译本。</p>"}


class DialogueLineBlock(blocks.StructBlock):
    speaker = blocks.CharBlock(label=_("说话人"), max_length=20)
    role = blocks.ChoiceBlock(
        label=_("身份"),
        choices=[("window", _("窗口人员")), ("applicant", _("申请人")), ("other", _("其他"))],
        default="window",
    )
    text = blocks.TextBlock(label=_("说的话"))


class DialogueBlock(blocks.StructBlock):
    """A counter script: what the window says and what the applicant says, turn by turn."""

    title = blocks.CharBlock(label=_("标题"), required=False, default="窗口话术", max_length=60)
    lines = blocks.ListBlock(DialogueLineBlock(), label=_("对话"))

    class Meta:
        icon = "openquote"
        template = "blocks/dialogue_block.html"
        label = _("窗口对话")
        description = _("窗口话术示范：窗口人员与申请人一问一答。")
        preview_value = {
            "title": "一次性告知",
            "lines": [
                {"speaker": "窗口", "role": "window", "text": "您好，请问办理什么事项？"},
                {"speaker": "申请人", "role": "applicant", "text": "我来办专利许可合同备案。"},
            ],
        }


class TableBlock(blocks.StructBlock):
    """A Markdown table, kept as Markdown so that it stays editable in the admin (Draftail has
    no table support) and rendered through ``courses.markdown`` (sanitised with nh3)."""

    caption = blocks.CharBlock(label=_("表格标题"), required=False, max_length=120)
    markdown = blocks.TextBlock(
        label=_("表格（Markdown）"),
        help_text=_("每行以 | 开头，第二行为 |---|---| 分隔线。"),
    )

    class Meta:
        icon = "table"
        template = "blocks/table_block.html"
        label = _("表格")
        description = _("时限、收费等对照表。")
        preview_value = {
            "caption": "",
            "markdown": "| 环节 | 时限 |\n|---|---|\n| 申请备案 | 合同生效之日起3个月内 |",
        }


class LessonStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    text = TextBlock()
    image = CaptionedImageBlock()
    video = VideoBlock()
    document = DocumentBlock()
    keypoints = KeyPointsBlock()
    checklist = ChecklistBlock()
    steps = StepsBlock()
    faq = FAQBlock()
    warning = WarningBlock()
    dialogue = DialogueBlock()
    table = TableBlock()
