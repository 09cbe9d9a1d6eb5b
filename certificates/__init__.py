"""Certificates: public API (lazy imports keep app loading free of model imports).

certificates.issue(user, course, actor=None) -> Certificate
certificates.reissue(certificate, actor=None) -> Certificate
certificates.revoke(certificate, actor=None, reason="") -> Certificate
certificates.reinstate(certificate, actor=None, reason="") -> Certificate
certificates.is_authorised(user, at=None) -> AuthorisationStatus (.missing: course + reason)
certificates.authorised_user_ids(user_ids, at=None) -> set[int]
certificates.authorised_users(at=None) -> QuerySet of users (building block for counts)
"""


def issue(user, course, actor=None):
    from .issuing import issue as _issue

    return _issue(user, course, actor=actor)


def reissue(certificate, actor=None):
    from .issuing import reissue as _reissue

    return _reissue(certificate, actor=actor)


def revoke(certificate, actor=None, reason=""):
    from .issuing import revoke as _revoke

    return _revoke(certificate, actor=actor, reason=reason)


def reinstate(certificate, actor=None, reason=""):
    from .issuing import reinstate as _reinstate

    return _reinstate(certificate, actor=actor, reason=reason)


def authorised_users(at=None):
    from .authorisation import authorised_users as _authorised_users

    return _authorised_users(at=at)


def is_authorised(user, at=None):
    from .authorisation import is_authorised as _is_authorised

    return _is_authorised(user, at=at)


def authorised_user_ids(user_ids, at=None):
    from .authorisation import authorised_user_ids as _authorised_user_ids

    return _authorised_user_ids(user_ids, at=at)
