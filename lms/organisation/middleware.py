from django.conf import settings


class ChineseFirstMiddleware:
    """Chinese is the platform's language whatever the browser prefers: only an explicit choice
    (the language switcher's cookie) selects English. Runs before LocaleMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
