"""Images of question texts across the GIFT boundary and in the question editor.

Stored question HTML holds Wagtail's image embeds (``<embed embedtype="image" id="…"
format="…" alt="…"/>``), which only this site understands, and possibly plain ``<img src=…>``
from an import. Across the boundary:

* export (:func:`portable_html`): embeds and page links are expanded as a learner's page shows
  them, with absolute URLs (``WAGTAILADMIN_BASE_URL``, as Wagtail's ``Rendition.full_url``):
  ``<img alt="…" class="richtext-image full-width" src="https://site/media/images/….png">``,
  which Moodle reads in an ``[html]`` GIFT text;
* import (:func:`images_to_embeds`): an ``<img>`` of this site's image library (a rendition
  or original file under ``MEDIA_URL``, site-relative or under ``WAGTAILADMIN_BASE_URL``)
  becomes the embed again, so Draftail (whose image feature knows only embeds) keeps it when
  a trainer re-saves the question. Any other image stays an ``<img>`` (learners see it), and
  :func:`lost_images` names it: the editor would drop it on save, so the import preview and
  the editor warn about it.

Only the stem and the explanation have Draftail's image feature (``STEM_FEATURES``); an image
in an option or in feedback is lost on save whatever it is.
"""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import unquote, urlsplit

from django.conf import settings

from .formats import display_html, sanitize_html

#: An ``<img>`` or image ``<embed>`` of sanitised HTML (double-quoted attribute values).
_IMG_RE = re.compile(r'<img((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:="[^"]*")?)*)\s*/?>')
_ANY_IMAGE_RE = re.compile(r'<(img|embed)((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:="[^"]*")?)*)\s*/?>')
_ATTR_RE = re.compile(r'([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:="([^"]*)")?')
_URL_ATTR_RE = re.compile(r'\b(src|href)="(/(?!/)[^"]*)"')
#: Wagtail's image format of a rich-text image's class (``Format.classname``).
_CLASS_FORMATS = (("full-width", "fullwidth"), ("left", "left"), ("right", "right"))


def _attributes(text: str) -> dict[str, str]:
    return {name: html_lib.unescape(value or "") for name, value in _ATTR_RE.findall(text)}


def _base_url() -> str:
    return (getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "").rstrip("/")


def portable_html(value: str) -> str:
    """Stored question HTML as another system reads it: Wagtail's image embeds and page
    links expanded (``display_html``), site-relative ``src``/``href`` made absolute."""
    if not value:
        return value
    if "<embed" in value or "linktype=" in value:
        value = display_html(value)
    base = _base_url()
    if not base:
        return value
    return _URL_ATTR_RE.sub(lambda m: f'{m.group(1)}="{base}{m.group(2)}"', value)


def _site_path(src: str) -> str | None:
    """The site-relative path of a URL of this site, or None."""
    src = src.strip()
    base = _base_url()
    if base and (src == base or src.startswith(base + "/")):
        return src[len(base) :] or "/"
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or not src.startswith("/"):
        return None
    return src


def _storage_name(src: str) -> str | None:
    """The storage name (``images/x.width-800.png``) of a media URL of this site, or None."""
    media = settings.MEDIA_URL or ""
    path = _site_path(src)
    # Media on another host (object storage): its URLs as they are.
    url = path if media.startswith("/") else src.strip()
    if not url or not media or not url.startswith(media):
        return None
    name = unquote(urlsplit(url[len(media) :]).path)
    return name or None


def _format_name(classes: str, filter_spec: str | None) -> str:
    from wagtail.images.formats import get_image_formats

    names = {f.name for f in get_image_formats()}
    for css, name in _CLASS_FORMATS:
        if css in classes.split() and name in names:
            return name
    for image_format in get_image_formats():
        if filter_spec and image_format.filter_spec == filter_spec:
            return image_format.name
    return "fullwidth"


def _library_image(src: str) -> tuple[int, str | None] | None:
    """``(image id, rendition filter spec or None)`` of an image of the library, or None."""
    from wagtail.images import get_image_model

    name = _storage_name(src)
    if name is None:
        return None
    model = get_image_model()
    found = (
        model.get_rendition_model()
        .objects.filter(file=name)
        .values_list("image_id", "filter_spec")
        .first()
    )
    if found is not None:
        return found[0], found[1]
    pk = model.objects.filter(file=name).values_list("pk", flat=True).first()
    return (pk, None) if pk is not None else None


def _embed(image_id: int, format_name: str, alt: str) -> str:
    # The attribute order Wagtail's Draftail converter writes (so a re-save changes nothing).
    alt = html_lib.escape(alt, quote=True)
    return f'<embed embedtype="image" format="{format_name}" id="{image_id}" alt="{alt}"/>'


def images_to_embeds(value: str) -> str:
    """Sanitised HTML with each ``<img>`` of the site's image library turned into Wagtail's
    image embed; other images kept (a ``src`` under ``WAGTAILADMIN_BASE_URL`` made
    site-relative). Stable: converting the result again changes nothing."""
    if not value or "<img" not in value:
        return value

    def replace(match: re.Match) -> str:
        attrs = _attributes(match.group(1))
        src = attrs.get("src", "")
        found = _library_image(src) if src else None
        if found is None:
            path = _site_path(src) if src else None
            if path is not None and path != src:
                return match.group(0).replace(
                    f'src="{html_lib.escape(src, quote=True)}"',
                    f'src="{html_lib.escape(path, quote=True)}"',
                )
            return match.group(0)
        image_id, filter_spec = found
        return _embed(
            image_id, _format_name(attrs.get("class", ""), filter_spec), attrs.get("alt", "")
        )

    converted = _IMG_RE.sub(replace, value)
    return converted if converted == value else sanitize_html(converted)


def image_sources(value: str, *, embeds: bool = True) -> list[str]:
    """The images of some HTML: each ``<img>``'s ``src`` (``embeds``: and each image embed,
    as "#<id>") in order."""
    sources = []
    for tag, attributes in _ANY_IMAGE_RE.findall(value or ""):
        attrs = _attributes(attributes)
        if tag == "img":
            sources.append(attrs.get("src") or "")
        elif embeds and attrs.get("embedtype") == "image":
            sources.append(attrs.get("alt") or "#" + attrs.get("id", ""))
    return sources


def lost_images(fields: list[tuple[str, str, bool]]) -> list[tuple[str, str]]:
    """``(field label, image)`` for every image the question editor drops on save.

    ``fields``: ``(label, html, keeps_embeds)``: a field whose editor has the image feature
    keeps embeds and drops plain ``<img>``; the others drop both."""
    lost = []
    for label, value, keeps_embeds in fields:
        for source in image_sources(value, embeds=not keeps_embeds):
            lost.append((label, source))
    return lost


def question_image_losses(
    *,
    text: str,
    explanation: str,
    answers: list[tuple[str, str]],
    html_answers: bool,
    true_feedback: str = "",
    false_feedback: str = "",
) -> list[tuple[str, str]]:
    """``(where, image)`` for each image of a question that the editor would drop on save:
    a plain ``<img>`` in the stem or explanation (embeds are kept), any image in an answer or
    in feedback. ``answers``: ``(text, feedback)`` per answer; ``html_answers``: the answer
    texts are HTML (choice and matching questions), not plain patterns or numbers."""
    from django.utils.translation import gettext as _

    fields = [(_("题干"), text, True), (_("解析"), explanation, True)]
    for number, (answer, feedback) in enumerate(answers, start=1):
        if html_answers:
            fields.append((_("第 %(n)d 个答案") % {"n": number}, answer, False))
        fields.append((_("第 %(n)d 个答案的反馈") % {"n": number}, feedback, False))
    fields += [
        (_("选“对”时的反馈"), true_feedback, False),
        (_("选“错”时的反馈"), false_feedback, False),
    ]
    return lost_images(fields)
