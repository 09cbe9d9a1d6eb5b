from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils import translation


class ChineseFirstMiddleware:
    """Chinese is the platform's language whatever the browser prefers: only an explicit choice
    (the language switcher's cookie) selects English. Runs before LocaleMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


def profile_language(user) -> str:
    """The admin language ``user`` chose in Wagtail's account settings ("" = none chosen)."""
    if not getattr(user, "is_authenticated", False):
        return ""
    try:
        language = user.wagtail_userprofile.preferred_language
    except ObjectDoesNotExist:  # no profile yet
        return ""
    permitted = {code for code, _name in settings.WAGTAILADMIN_PERMITTED_LANGUAGES}
    return language if language in permitted else ""


class AdminLanguageMiddleware:
    """The Wagtail admin speaks the language chosen in the user's Wagtail profile (Account →
    Preferences → Language), as Wagtail itself intends.

    Wagtail applies that choice only inside the views wrapped in ``require_admin_access``; the
    rest of ``/admin/`` -- its JavaScript catalogue (the sidebar, editor and dialog strings), its
    404 page, messages made outside those views -- keeps the language LocaleMiddleware chose,
    which here is Chinese unless the language cookie says otherwise (``ChineseFirstMiddleware``).
    So a user who picked English saw a half-Chinese admin. Place after AuthenticationMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(reverse("wagtailadmin_home")):
            language = profile_language(request.user)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
