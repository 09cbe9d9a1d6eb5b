"""The five roles, as Django groups, and the questions every view asks about them.

Groups are created by migrations ``0003_roles`` and ``0005_reviewer_role`` (which also creates
the reviewers' approval workflow, ``REVIEW_WORKFLOW``). Their permissions are declared here and
in each app's ``AppConfig.role_permissions`` (so a lower app never imports a higher one) and
synchronised after every ``migrate`` -- permissions only exist once their app is migrated.
"""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

WINDOW_STAFF = "window_staff"
TRAINER = "trainer"
REVIEWER = "reviewer"
DISTRICT_ADMIN = "district_admin"
CITY_ADMIN = "city_admin"

# Group names are stable identifiers; their labels are translated for display.
ROLE_LABELS = {
    WINDOW_STAFF: _("窗口工作人员"),
    TRAINER: _("培训师"),
    REVIEWER: _("审核人"),
    DISTRICT_ADMIN: _("区管理员"),
    CITY_ADMIN: _("市管理员"),
}
ROLES = list(ROLE_LABELS)


def role_label(name: str) -> str:
    """The translated label of a role group (any other group: its name)."""
    label = ROLE_LABELS.get(name)
    return str(label) if label is not None else name


ADMIN_ACCESS = "wagtailadmin.access_admin"

# The moderation workflow of the training tree: trainers submit, reviewers approve or request
# changes. Created by migration 0005_reviewer_role; assigned to the training tree's root.
REVIEW_WORKFLOW = "课程审核"
REVIEW_TASK = "审核人审批"

# Page permissions on the training tree (granted by courses.loader.ensure_trainer_permissions):
# trainers write and submit; only reviewers publish, so every change passes the workflow.
PAGE_PERMISSIONS = {
    TRAINER: ["add_page", "change_page", "lock_page", "unlock_page"],
    REVIEWER: ["change_page", "publish_page", "lock_page", "unlock_page"],
}

# Permissions owned by the organisation app itself.
ROLE_PERMISSIONS = {
    WINDOW_STAFF: [],
    TRAINER: [ADMIN_ACCESS],
    # Approves or sends back the trainers' page changes (the "课程审核" workflow, migration
    # 0005_reviewer_role); page permissions on the training tree: courses.loader.
    REVIEWER: [ADMIN_ACCESS],
    DISTRICT_ADMIN: [
        ADMIN_ACCESS,
        "lms.view_district",
        "lms.view_staffprofile",
        "lms.add_staffprofile",
        "lms.change_staffprofile",
        # Activation slips for their own district's window staff (lms.rollout.slips).
        "lms.issue_activation_slip",
    ],
    CITY_ADMIN: [
        ADMIN_ACCESS,
        "lms.view_district",
        "lms.change_district",
        "lms.view_staffprofile",
        "lms.add_staffprofile",
        "lms.change_staffprofile",
        "lms.delete_staffprofile",
        "lms.issue_activation_slip",
        "lms.view_all_districts",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        # Wagtail's audit log: Reports -> Site history (enforced by lms.organisation.security).
        "wagtailcore.view_modellogentry",
        "wagtailcore.view_pagelogentry",
    ],
}


def declared_permissions():
    """Merge this module's declarations with every app's ``role_permissions``."""
    merged = {role: set(perms) for role, perms in ROLE_PERMISSIONS.items()}
    for config in apps.get_app_configs():
        for role, perms in getattr(config, "role_permissions", {}).items():
            merged.setdefault(role, set()).update(perms)
    return merged


def sync_role_permissions(sender=None, using="default", **kwargs):
    """Give each role group exactly its declared permissions (idempotent)."""
    configs = [c for c in apps.get_app_configs() if c.models_module is not None]
    if sender is not None and sender is not configs[-1]:
        # post_migrate fires once per app; permissions of every app exist by the last one.
        return
    for role, perms in declared_permissions().items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        wanted = Q(pk__in=[])
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.using(using).filter(wanted))


def has_role(user, role):
    """Membership of a role group. For display and for provisioning only (seed, imports, the
    user form's choices): no authorisation decision may rest on it -- views check permissions,
    so that a session without a verified second factor (which holds none,
    lms.organisation.security) is
    refused everywhere."""
    if not user.is_authenticated:
        return False
    cache = getattr(user, "_role_cache", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._role_cache = cache
    return role in cache


# --- Authorisation questions, answered from permissions only --------------------------------

# Sees every district's records (city administrators, superusers).
ALL_DISTRICTS = "lms.view_all_districts"
# Administers the people of their own district (district administrators; city too).
DISTRICT_STAFF = "lms.view_staffprofile"


def is_city_admin(user):
    """Holds ``lms.view_all_districts``: city level (superusers hold every permission)."""
    return bool(user.is_authenticated and user.has_perm(ALL_DISTRICTS))


def admin_district_ids(user):
    """District ids a user administers: ``None`` means all (city level), ``[]`` means none.

    City level is ``lms.view_all_districts``; a district administrator holds
    ``lms.view_staffprofile`` and administers the district of their own staff profile.
    """
    if not user.is_authenticated:
        return []
    if user.has_perm(ALL_DISTRICTS):
        return None
    if user.has_perm(DISTRICT_STAFF):
        profile = getattr(user, "staff_profile", None)
        if profile is not None and profile.district_id:
            return [profile.district_id]
    return []


def phone_for(profile, user) -> str:
    """``profile``'s mobile number as ``user`` may see it: in full for the administrators of
    the person's own district (they call their staff), masked (``139****0102``) for
    everyone else, city level included."""
    ids = admin_district_ids(user)
    if ids and profile.district_id in ids:
        return profile.phone
    return profile.masked_phone


def is_district_admin(user):
    """Administers exactly their own district (not city level)."""
    ids = admin_district_ids(user)
    return bool(ids)


def is_admin(user):
    """City or district administrator (administers at least one district)."""
    return admin_district_ids(user) != []


def scope_to_districts(queryset, user, field="district"):
    """Restrict ``queryset`` to the districts ``user`` administers."""
    ids = admin_district_ids(user)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": ids})


def administered_districts(user):
    """The districts ``user`` administers, in their order: every district at city level, their
    own for a district administrator, none otherwise. The choices of every district filter
    (roster, staff, certificates)."""
    from .models import District

    if user is None:
        return District.objects.none()
    ids = admin_district_ids(user)
    qs = District.objects.order_by("sort_order")
    return qs if ids is None else qs.filter(pk__in=ids)


def scope_to_people(queryset, user, person="user"):
    """Restrict records about people (``person``: the path from the record to their user
    account) to the people whose CURRENT district ``user`` administers
    (``StaffProfile.district``): a transferred person's records move with them to the new
    district's administrators. A snapshot taken at the time (a certificate's
    ``holder_district``) is a historical fact and never decides who may act on the record."""
    return scope_to_districts(queryset, user, f"{person}__staff_profile__district")


def can_administer_district(user, district_id):
    ids = admin_district_ids(user)
    return ids is None or district_id in ids


# --- Granting roles (the Wagtail user editor, lms.organisation.user_admin) -------------------

# Each role's rank: nobody below superuser grants a role above their own.
# Reviewers approve what every learner reads: only city administrators grant that role.
ROLE_RANK = {WINDOW_STAFF: 0, TRAINER: 1, DISTRICT_ADMIN: 2, REVIEWER: 3, CITY_ADMIN: 3}
# A role missing here ranks above every other: only a superuser grants it.
UNRANKED = 99


def _perm_names(group):
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def assignable_groups(user):
    """The groups ``user`` may grant: superusers any; others the role groups not above their
    own highest role whose every permission they hold themselves (no other group)."""
    if user is not None and user.is_superuser:
        return Group.objects.all()
    if user is None or not user.is_authenticated:
        return Group.objects.none()
    own = max((ROLE_RANK.get(r, UNRANKED) for r in ROLES if has_role(user, r)), default=-1)
    held = user.get_all_permissions()
    candidates = Group.objects.filter(
        name__in=[r for r in ROLES if ROLE_RANK.get(r, UNRANKED) <= own]
    ).prefetch_related("permissions__content_type")
    return Group.objects.filter(pk__in=[g.pk for g in candidates if _perm_names(g) <= held])


def can_manage_user(actor, target):
    """Whether ``actor`` may edit or delete the account ``target``: superusers anyone; others
    no superuser, no staff account and nobody holding a group they may not grant; below city
    level (``auth.change_user`` granted to a district administrator) only the people of the
    districts they administer."""
    if actor.is_superuser:
        return True
    if target.is_superuser or target.is_staff:
        return False
    ids = admin_district_ids(actor)
    if ids is not None:
        profile = getattr(target, "staff_profile", None)
        if profile is None or profile.district_id not in ids:
            return False
    allowed = set(assignable_groups(actor).values_list("pk", flat=True))
    return set(target.groups.values_list("pk", flat=True)) <= allowed


def is_privileged(user):
    """Holds more than window staff: any permission (from a role or granted directly), staff
    status or superuser. Window staff hold no permission at all."""
    return bool(user.is_superuser or user.is_staff or user.get_all_permissions())


def privileged_user_ids(user_ids) -> set:
    """``is_privileged`` for many accounts in one query: the ids among ``user_ids`` that are
    superusers, staff or hold any permission (directly or through a group)."""
    from django.contrib.auth import get_user_model

    return set(
        get_user_model()
        .objects.filter(pk__in=list(user_ids))
        .filter(
            Q(is_superuser=True)
            | Q(is_staff=True)
            | Q(user_permissions__isnull=False)
            | Q(groups__permissions__isnull=False)
        )
        .values_list("pk", flat=True)
        .distinct()
    )


def can_edit_person(actor, target):
    """Whether ``actor`` may change the account ``target`` through the staff editor (name,
    login, e-mail, active flag). District administrators: only people whose highest role is
    window staff (hole 8 of issue 15: a district administrator could take over a trainer's or
    an administrator's account by changing its e-mail). City level: ``can_manage_user``."""
    if actor.is_superuser:
        return True
    if is_city_admin(actor):
        return can_manage_user(actor, target)
    return not is_privileged(target)
