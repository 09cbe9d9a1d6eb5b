"""Signals other apps listen to (a lower floor never imports them)."""

from django.dispatch import Signal

# Sent after commit when a regrade (quizzes.regrading) turns a passed attempt at a course's
# quiz into a failed one: pass_withdrawn.send(sender=Attempt, attempt=..., user=...,
# course=..., actor=...). certificates.lifecycle decides what happens to the completion and
# its certificate.
pass_withdrawn = Signal()
