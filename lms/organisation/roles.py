"""The four roles, as Django groups, and the questions every view asks about them.

Groups are created by migration ``0003_roles``. Their permissions are declared here and in
each app's ``AppConfig.role_permissions`` (so a lower app never imports a higher one) and
synchronised after every ``migrate`` -- permissions only exist once their app is migrated.
"""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

WINDOW_STAFF = "window_staff"
TRAINER = "trainer"
DISTRICT_ADMIN = "district_admin"
CITY_ADMIN = "city_admin"

# Group names are stable identifiers; their labels are translated for display.
ROLE_LABELS = {
    WINDOW_STAFF: _("窗口工作人员"),
    TRAINER: _("培训师"),
    DISTRICT_ADMIN: _("区管理员"),
    CITY_ADMIN: _("市管理员"),
}
ROLES = list(ROLE_LABELS)

ADMIN_ACCESS = "wagtailadmin.access_admin"

# Permissions owned by the organisation app itself.
ROLE_PERMISSIONS = {
    WINDOW_STAFF: [],
    TRAINER: [ADMIN_ACCESS],
    DISTRICT_ADMIN: [
        ADMIN_ACCESS,
        "lms.view_district",
        "lms.view_staffprofile",
        "lms.add_staffprofile",
        "lms.change_staffprofile",
    ],
    CITY_ADMIN: [
        ADMIN_ACCESS,
        "lms.view_district",
        "lms.change_district",
        "lms.view_staffprofile",
        "lms.add_staffprofile",
        "lms.change_staffprofile",
        "lms.delete_staffprofile",
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
    if not user.is_authenticated:
        return False
    cache = getattr(user, "_role_cache", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._role_cache = cache
    return role in cache


def is_city_admin(user):
    return user.is_authenticated and (user.is_superuser or has_role(user, CITY_ADMIN))


def is_district_admin(user):
    return has_role(user, DISTRICT_ADMIN)


def is_trainer(user):
    return has_role(user, TRAINER)


def is_admin(user):
    """City or district administrator."""
    return is_city_admin(user) or is_district_admin(user)


def admin_district_ids(user):
    """District ids a user administers: ``None`` means all (city level), ``[]`` means none."""
    if is_city_admin(user):
        return None
    if is_district_admin(user):
        profile = getattr(user, "staff_profile", None)
        if profile is not None and profile.district_id:
            return [profile.district_id]
    return []


def scope_to_districts(queryset, user, field="district"):
    """Restrict ``queryset`` to the districts ``user`` administers."""
    ids = admin_district_ids(user)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": ids})


def can_administer_district(user, district_id):
    ids = admin_district_ids(user)
    return ids is None or district_id in ids
