"""Helpers for tests that use the Wagtail admin with two-factor authentication switched on.

The test settings set ``LMS_REQUIRE_2FA = False``, so ``client.force_login(user)`` is enough
for ordinary admin tests. A test that turns 2FA on (``settings.LMS_REQUIRE_2FA = True``) and
still wants to use the admin calls ``login_with_otp(client, user)``.
"""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def confirmed_device(user):
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=True, defaults={"name": "test"}
    )
    return device


def current_token(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def login_with_otp(client, user):
    """Log ``user`` in with a confirmed TOTP device and an OTP-verified session."""
    device = confirmed_device(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def open_enrolment_link(client, user, **extra):
    """Issue a two-factor enrolment link for ``user`` (as an administrator would) and open it in
    ``client``'s session (signed in as ``user``): the setup page then shows the QR code."""
    from lms.organisation.otp_enrolment import issue_enrolment_link

    url = issue_enrolment_link(user)
    path = url.split("://", 1)[-1].split("/", 1)[1]
    return client.get("/" + path, **extra)
