"""English date and time formats: the 24-hour clock, as in Chinese (Django's defaults for
"en" mix "5:14 p.m." with the "17:24" used elsewhere on the same page)."""

DATETIME_FORMAT = "N j, Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
