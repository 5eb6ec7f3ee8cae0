"""The permission matrix (role × action), enforced here for HTML views and the API alike.

ARCHITECTURE.md prints this matrix; `tests/test_permissions.py` checks that the document and the
code agree. What a role may do is decided here; which rows it may do it to is decided by
`integrity.tenancy` (tenant and agency scoping).
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.choices import Role

PA, OA, OS = Role.PLATFORM_ADMIN, Role.OFFICE_ADMIN, Role.OFFICE_STAFF
AC, AL, EV, CV = Role.AGENCY_CLERK, Role.AGENCY_LEADER, Role.EVALUATOR, Role.CITY_VIEWER
# A machine client of the API reads what its scopes name (integrity.api.ApiClientScope).
AK = Role.API_CLIENT

MATRIX: dict[str, frozenset[str]] = {
    "tenant.view": frozenset({PA, OA, OS, CV, AK}),
    "tenant.manage": frozenset({PA}),
    "agency.view": frozenset({PA, OA, OS, CV, AC, AL, EV, AK}),
    "agency.manage": frozenset({PA, OA}),
    "agency.import": frozenset({PA, OA}),
    "agency.export": frozenset({PA, OA, OS, CV}),
    "user.view": frozenset({PA, OA}),
    "user.manage": frozenset({PA, OA}),
    "audit.view": frozenset({PA, OA}),
    "apiclient.manage": frozenset({PA, OA}),
    "calendar.manage": frozenset({PA, OA}),
    "domain.view": frozenset({PA, OA, OS, CV, AC, AL, EV, AK}),
    "domain.manage": frozenset({PA, OA}),
    "record.view": frozenset({PA, OA, OS, CV, AC, AL, AK}),
    "record.manage": frozenset({PA, OA, OS}),
    "record.export": frozenset({PA, OA, OS, CV, AC, AL}),
    "person_file.view": frozenset({PA, OA, OS}),
    "request.view": frozenset({PA, OA, OS, AK}),
    "request.decide": frozenset({PA, OA, OS}),
    "commitment.view": frozenset({PA, OA, OS, CV, AC, AL, AK}),
    "commitment.file": frozenset({PA, OA, OS, AC, AL}),
    "commitment.judge": frozenset({PA, OA, OS}),
    "notice.view": frozenset({PA, OA, OS, CV, AK}),
    "notice.compose": frozenset({PA, OA, OS}),
    "notice.publish": frozenset({PA, OA}),
    "lists.view": frozenset({PA, OA, OS, CV, AC, AL, EV, AK}),
    "lists.manage": frozenset({PA, OA, OS}),
    "complaint.view": frozenset({PA, OA, OS, CV, AC, AL, AK}),
    "complaint.handle": frozenset({PA, OA, OS}),
    "complaint.reply": frozenset({AC, AL}),
    "complaint.import": frozenset({PA, OA, OS}),
    "supervision.view": frozenset({PA, OA, OS, CV, AC, AL, AK}),
    "supervision.manage": frozenset({PA, OA, OS}),
    "evaluation.assign": frozenset({PA, OA, OS}),
    "evaluation.view": frozenset({PA, OA, OS, CV, EV, AK}),
    "evaluation.score": frozenset({EV}),
    "evaluation.decide": frozenset({PA, OA, OS}),
    "campaign.view": frozenset({PA, OA, OS, CV, AC, AL, AK}),
    "campaign.manage": frozenset({PA, OA, OS}),
    "ledger.view": frozenset({PA, OA, OS, CV, AC, AL, AK}),
    "ledger.edit": frozenset({AC, AL}),
    "ledger.import": frozenset({AC, AL}),
    "ledger.export": frozenset({PA, OA, OS, CV, AC, AL}),
    "ledger.verify": frozenset({PA, OA, OS}),
    "filing.view": frozenset({PA, OA, OS, CV, AC, AL, AK}),
    "filing.draft": frozenset({AC, AL}),
    "filing.signoff": frozenset({AL}),
    "filing.review": frozenset({PA, OA, OS}),
    "milestone.edit": frozenset({AC, AL}),
    "investment.view": frozenset({PA, OA, OS, CV, AC, AL, AK}),
    "investment.edit": frozenset({AC, AL}),
    "investment.review": frozenset({PA, OA, OS}),
    "scheme.view": frozenset({PA, OA, OS, CV, AK}),
    "scheme.manage": frozenset({PA, OA, OS}),
    "run.view": frozenset({PA, OA, OS, CV, AK}),
    "run.start": frozenset({PA, OA, OS}),
    "run.review": frozenset({PA, OA, OS}),
    "run.publish": frozenset({PA, OA}),
    "score.view_own": frozenset({AC, AL}),
    "warning.view": frozenset({PA, OA, OS, CV, AC, AL, AK}),
    "warning.export": frozenset({PA, OA, OS, CV, AC, AL}),
    "warning.handle": frozenset({PA, OA, OS}),
    "warning.evaluate": frozenset({PA, OA, OS}),
    "warning_rule.view": frozenset({PA, OA, OS, CV, AK}),
    "warning_rule.manage": frozenset({PA, OA}),
    "debt.view": frozenset({PA, OA, OS, CV, AC, AL, AK}),
    "debt.manage": frozenset({PA, OA, OS}),
    "webhook.view": frozenset({PA, OA, OS}),
    "webhook.manage": frozenset({PA, OA}),
}


def has_perm(user, action: str) -> bool:
    if action not in MATRIX:
        raise KeyError(f"Unknown action {action!r}: add it to integrity.permissions.MATRIX")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.role in MATRIX[action]


class PermissionRequiredMixin(LoginRequiredMixin):
    """For HTML views: `permission = "agency.manage"`; 403 for a logged-in user without it."""

    permission: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.permission is None or not has_perm(request.user, self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class RolePermission(BasePermission):
    """For the API: a viewset names `permission_read` and `permission_write` actions."""

    def has_permission(self, request, view) -> bool:
        read = getattr(view, "permission_read", None)
        write = getattr(view, "permission_write", None)
        action = read if request.method in SAFE_METHODS else write
        return action is not None and has_perm(request.user, action)


NAVIGATION = [
    # (label, url name, action) for a link; (label, [links]) for a menu.
    (_("Home"), "home", None),
    (
        _("Campaigns"),
        [
            (_("Campaigns"), "rectification:campaign-list", "campaign.view"),
            (_("Issue ledger"), "rectification:issue-list", "ledger.view"),
            (_("Overdue"), "rectification:overdue", "ledger.view"),
            (_("Investment projects"), "rectification:project-list", "investment.view"),
            (_("Duplicate signings"), "rectification:duplicate-list", "investment.review"),
        ],
    ),
    (
        _("Early warning"),
        [
            (_("Warnings"), "monitoring:warning-list", "warning.view"),
            (_("Warning rules"), "monitoring:rule-list", "warning_rule.view"),
            (_("Government debt figures"), "monitoring:debt-list", "debt.view"),
        ],
    ),
    (
        _("Credit records"),
        [
            (_("Failure-of-trust records"), "domains:record-list", "record.view"),
            (_("Commitments"), "domains:commitment-list", "commitment.view"),
            (_("Objections and repair"), "domains:request-list", "request.view"),
            (_("Case notices"), "domains:notice-list", "notice.view"),
            (_("Integrity files"), "domains:person-file", "person_file.view"),
        ],
    ),
    (
        _("Supervision"),
        [
            (_("Complaints"), "supervision:complaint-list", "complaint.view"),
            (
                _("Suggestions and judicial supervision"),
                "supervision:proposal-list",
                "supervision.view",
            ),
            (_("Per-agency summary"), "supervision:summary", "supervision.view"),
            (_("Third-party evaluation"), "supervision:assignment-list", "evaluation.view"),
        ],
    ),
    (
        _("Scoring"),
        [
            (_("Scoring schemes"), "scoring:scheme-list", "scheme.view"),
            (_("Score runs"), "scoring:run-list", "run.view"),
            (_("Score objections"), "scoring:objection-list", "run.review"),
            (_("Our supervision scores"), "scoring:my-scores", "score.view_own"),
        ],
    ),
    (
        _("Configuration"),
        [
            (_("Agencies"), "accounts:agency-list", "agency.view"),
            (_("Users"), "accounts:user-list", "user.view"),
            (_("Key domains"), "domains:domain-list", "domain.view"),
            (_("Measure lists"), "domains:joint-measure-list", "lists.view"),
            (_("Jurisdictions"), "accounts:tenant-list", "tenant.manage"),
            (_("Webhooks"), "webhooks:endpoint-list", "webhook.view"),
            (_("API clients"), "accounts:api-client-list", "apiclient.manage"),
        ],
    ),
    (
        _("Audit"),
        [
            (_("Audit trail"), "accounts:audit-list", "audit.view"),
            (_("Security events"), "accounts:security-event-list", "audit.view"),
        ],
    ),
]


def _links(user, entries):
    return [
        {"label": label, "url": reverse(name), "name": name}
        for label, name, action in entries
        if action is None or has_perm(user, action)
    ]


def navigation(request):
    """Template context: the menus and links the user's role may use (`nav_items`), the set
    of their URL names (`nav_names`) and the number of unread notifications for the bell
    (`unread_notifications`, one COUNT query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_names": set(), "unread_notifications": 0}
    items, names = [], set()
    for entry in NAVIGATION:
        if isinstance(entry[1], list):
            children = _links(user, entry[1])
            if children:
                items.append({"label": entry[0], "children": children})
                names |= {child["name"] for child in children}
        else:
            links = _links(user, [entry])
            items += links
            names |= {link["name"] for link in links}
    from accounts.models import Notification

    unread = Notification.objects.for_user(user).filter(read_at__isnull=True).count()
    return {"nav_items": items, "nav_names": names, "unread_notifications": unread}
