"""Signals the organisation sends; higher floors listen to them."""

from django.dispatch import Signal

# Sent with ``profile`` when a staff member joins or becomes active again, so that
# the rollout can enrol late joiners in their district's open waves.
staff_joined = Signal()
