"""The one rounding of percentages shown anywhere (dashboards, rosters, wave list, e-mails,
learner progress, quiz results and statistics).

Python's ``round()`` rounds half to even and works on binary floats, so "1 of 8" became 12 %
on one page and 13 % where a Decimal or another formula was used. ``percent()`` computes in
Decimal and rounds half up: 1 of 8 = 12.5 % -> 13 %, or 12.5 % with one decimal.
"""

from decimal import ROUND_HALF_UP, Decimal


def percent(part, whole, digits: int = 0, default=None):
    """``part`` of ``whole`` as a percentage, rounded half up to ``digits`` decimals: an int
    for ``digits=0`` (1 of 8 -> 13), else a Decimal (1 of 8 -> Decimal("12.5")). ``default``
    when ``whole`` is zero or either is None. A fraction is a share of 1: ``percent(f, 1)``."""
    if part is None or not whole:
        return default
    value = Decimal(str(part)) * 100 / Decimal(str(whole))
    rounded = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return int(rounded) if digits == 0 else rounded
