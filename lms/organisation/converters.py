"""Path converters shared by the apps' URLconfs."""

from django.urls.converters import IntConverter

MAX_ID = 2**63 - 1


class IdConverter(IntConverter):
    """A database id within a signed 64-bit integer: a URL with a larger number does not
    match (404) instead of raising OverflowError in the query (SQLite)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value):
        number = int(value)
        if number > MAX_ID:
            raise ValueError("id out of range")
        return number
