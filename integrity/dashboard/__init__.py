"""The figures of the home pages (issue 8): the credit office's dashboard, an agency's own
figures and the city viewer's comparison of the counties below the city.

Every figure reads through `Model.objects.for_user(user)`, so a role sees exactly the rows its
lists show, and aggregates in SQL (`values()` with conditional `Count`/`Sum`): a figure costs a
fixed number of queries whatever the number of agencies, counties and rows.

A `Figure` is one table (headers and rows of `Cell`s, each number linking to the filtered list
behind it where a list filter matches it exactly) and the chart that static/js/dashboard.js
draws from the same numbers. The page shows the table as the chart's accessible fallback and
the Excel export writes the same table, so chart, table and export cannot disagree.
"""

from __future__ import annotations

from accounts.choices import AGENCY_ROLES, OFFICE_ROLES, Role

from .base import Figure
from .counties import CountyFigures
from .office import OfficeFigures, office_cards

__all__ = ["Dashboard", "Figure", "figures_for", "office_cards"]

# Which figures each home page shows (and may export), in page order.
OFFICE_FIGURES = (
    "issues",
    "overdue",
    "arrears",
    "clearance",
    "complaints",
    "replies",
    "records_domain",
    "records_month",
    "scores",
    "grid",
)
AGENCY_FIGURES = ("issues", "clearance")
CITY_FIGURES = (
    "county_work",
    "county_arrears",
    "county_complaints",
    "county_records",
    "county_scores",
    "county_warnings",
)


# The action each figure needs: that of the list behind it (the figure is shown and exported
# only with it).
PERMISSIONS = {
    "issues": "ledger.export",
    "overdue": "ledger.view",
    "arrears": "ledger.export",
    "clearance": "ledger.export",
    "complaints": "complaint.view",
    "replies": "complaint.view",
    "records_domain": "record.export",
    "records_month": "record.export",
    "scores": "run.view",
    "grid": "campaign.view",
    "county_work": "ledger.export",
    "county_arrears": "ledger.export",
    "county_complaints": "complaint.view",
    "county_records": "record.export",
    "county_scores": "run.view",
    "county_warnings": "warning.view",
}


def figures_for(user) -> tuple[str, ...]:
    """The figures the user's home page shows and the user may export."""
    from integrity.permissions import has_perm

    return tuple(slug for slug in _role_figures(user) if has_perm(user, PERMISSIONS[slug]))


def _role_figures(user) -> tuple[str, ...]:
    role = getattr(user, "role", None)
    if role in OFFICE_ROLES:
        return OFFICE_FIGURES
    if role in AGENCY_ROLES and user.agency_id:
        return AGENCY_FIGURES
    if role == Role.CITY_VIEWER:
        return CITY_FIGURES
    return ()


class Dashboard(OfficeFigures, CountyFigures):
    """The figures a user's home page shows, computed on demand (`figure(slug)`); shared
    aggregates are cached on the instance so that two figures never repeat a query."""
