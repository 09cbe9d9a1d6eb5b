"""Account activation without e-mail: one-time codes printed on activation slips.

Imported window staff often have neither an e-mail address nor a password. An administrator
prints them an activation slip (``lms.rollout.slips``); on ``/accounts/activate/`` the person
types their username, the code and a new password, and is signed in.

* Codes are 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L), printed in
  groups (``K7QM-4XPA-9R``): 31^10 ≈ 2^49 possibilities, rate-limited per address and username.
* Only a keyed hash (HMAC-SHA256 with the project's secret key) is stored; the check compares
  hashes in constant time.
* Single use: using a code claims it with one conditional UPDATE; issuing a new slip revokes
  the person's earlier unused codes.
* Only people whose highest role is window staff (no permission, not staff, not superuser:
  ``roles.is_privileged``) can be activated or given a slip. Privileged accounts sign in with
  their password and a second factor.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from wagtail.log_actions import log

from .models import ActivationCode, is_active_person
from .roles import is_privileged, privileged_user_ids
from .security import unwrap_user

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
GROUPS = (4, 4, 2)
KEY_SALT = "lms.organisation.activation"
DEFAULT_LIFETIME_DAYS = 14


def lifetime_days() -> int:
    return int(getattr(settings, "ACTIVATION_CODE_DAYS", DEFAULT_LIFETIME_DAYS))


def generate_code() -> str:
    """A new plain code, grouped for reading aloud: ``K7QM-4XPA-9R``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    parts, start = [], 0
    for size in GROUPS:
        parts.append(raw[start : start + size])
        start += size
    return "-".join(parts)


def normalise(code: str) -> str:
    """What a person typed, without separators and spaces, upper case."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:64]


def hash_code(code: str) -> str:
    return salted_hmac(KEY_SALT, normalise(code), algorithm="sha256").hexdigest()


def default_expiry(now: datetime.datetime | None = None) -> datetime.datetime:
    """The end of the local day ``ACTIVATION_CODE_DAYS`` from now, so that the date printed on
    the slip ("valid until 14 December") is exactly right."""
    now = now or timezone.now()
    last_day = timezone.localdate(now) + datetime.timedelta(days=lifetime_days())
    end = datetime.datetime.combine(last_day, datetime.time.max)
    return timezone.make_aware(end, timezone.get_current_timezone())


def may_activate(user) -> bool:
    """Window staff in post only: an active person (``models.is_active_person``: a leaver's
    inactive staff profile refuses, even while the user is still active), holding no
    permission, neither staff nor superuser."""
    return bool(user is not None and is_active_person(user) and not is_privileged(user))


@dataclass
class IssuedCode:
    user: object
    code: str  # the plain code: printed once, never stored
    record: ActivationCode


@transaction.atomic
def issue_codes(users, created_by=None, now=None) -> list[IssuedCode]:
    """A new code for each of ``users`` (privileged accounts are skipped); their earlier unused
    codes are revoked. Logged as ``lms.activation_slip`` on each person."""
    now = now or timezone.now()
    users = list(users)
    privileged = privileged_user_ids(u.pk for u in users)
    users = [u for u in users if is_active_person(u) and u.pk not in privileged]
    if not users:
        return []
    actor = unwrap_user(created_by) if created_by is not None else None
    if actor is not None and not actor.is_authenticated:
        actor = None
    ActivationCode.objects.filter(
        user__in=[u.pk for u in users], used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    expires_at = default_expiry(now)
    issued = []
    for user in users:
        code = generate_code()
        record = ActivationCode(
            user=user, code_hash=hash_code(code), created_by=actor, expires_at=expires_at
        )
        issued.append(IssuedCode(user=user, code=code, record=record))
    ActivationCode.objects.bulk_create([item.record for item in issued])
    for item in issued:
        log(
            instance=item.user,
            action="lms.activation_slip",
            user=actor,
            data={"expires_at": expires_at.isoformat()},
        )
    return issued


def find_user(username: str):
    """The account a typed username names (case-insensitive, as the staff import matches
    employee numbers); ``None`` when there is none or the name is ambiguous."""
    username = (username or "").strip()[:150]
    if not username:
        return None
    matches = list(get_user_model()._default_manager.filter(username__iexact=username)[:2])
    if len(matches) != 1:
        return None
    return matches[0]


def check_code(user, code: str, now=None) -> ActivationCode | None:
    """The usable code of ``user`` matching ``code`` (constant-time comparison of hashes), or
    ``None``. For an unknown or privileged user the same hash work is done, so the answer's
    timing does not tell which it was."""
    now = now or timezone.now()
    typed = hash_code(code)
    candidates = []
    if user is not None and may_activate(user):
        candidates = list(ActivationCode.objects.filter(user=user).usable(now))
    found = None
    for record in candidates:
        if constant_time_compare(record.code_hash, typed):
            found = record
    if not candidates:
        constant_time_compare(typed, hash_code("-"))
    return found


@transaction.atomic
def use_code(record: ActivationCode, new_password: str, now=None) -> bool:
    """Claim ``record`` (one conditional UPDATE: only the first of two concurrent requests
    wins), set the password, revoke the person's other codes and log it. Returns whether
    the code was still unused."""
    now = now or timezone.now()
    claimed = ActivationCode.objects.filter(
        pk=record.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not claimed:
        return False
    user = record.user
    had_password = user.has_usable_password()
    user.set_password(new_password)
    user.save(update_fields=["password"])
    ActivationCode.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    data = {"code": record.pk}
    if had_password:
        # The account was already in use: its password has just been replaced. Tell the
        # person, so a slip that reached the wrong hands does not go unnoticed.
        data["replaced_password"] = True
        data["notified"] = notify_password_replaced(user)
    log(instance=user, action="lms.activate", user=user, data=data)
    return True


def notify_password_replaced(user) -> bool:
    """E-mail ``user`` (if they have an address) that an activation slip replaced their
    password. Returns whether a message was sent."""
    from django.core.mail import send_mail
    from django.utils import translation
    from django.utils.translation import gettext as _

    if not user.email:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        send_mail(
            _("您的密码已通过激活单重新设置"),
            _(
                "您的账号 %(username)s 刚刚使用激活单设置了新密码，原密码已失效。\n"
                "如非本人操作，请立即联系区管理员。"
            )
            % {"username": user.get_username()},
            None,
            [user.email],
            fail_silently=True,
        )
    return True
