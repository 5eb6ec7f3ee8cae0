"""The building blocks of the dashboards: `Figure` (a table of `Cell`s and the chart drawn
from the same numbers), formatting and link helpers, and `DashboardBase`, which holds the
querysets and aggregates several figures share."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from urllib.parse import urlencode

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.urls import reverse
from django.utils import timezone

ZERO = Decimal("0.00")
MONTHS = 12  # the trend charts cover the last twelve months, this one included
SCORE_BUCKET = 10  # points per bar of the score distribution

# Colours say the same thing on every chart.
GREEN, AMBER, ORANGE, RED, GREY, BLUE, TEAL = (
    "#198754",
    "#e0a800",
    "#fd7e14",
    "#dc3545",
    "#adb5bd",
    "#0d6efd",
    "#20c997",
)
SEVERITY_COLOURS = {"light": "#f2c94c", "general": ORANGE, "serious": RED}
STATE_COLOURS = {"on_time": GREEN, "late": AMBER, "missing": RED, "not_due": GREY}


# Building blocks ------------------------------------------------------------------------------


@dataclass
class Cell:
    """A table cell: `value` is what the Excel export writes, `text` what the page shows, `url`
    the filtered list behind the number (empty when no list filter matches it exactly)."""

    value: object
    text: str = ""
    url: str = ""


def cell(value, url: str = "") -> Cell:
    return Cell(value=value, text=display(value), url=url)


def display(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:.1f}%"
    if isinstance(value, date):
        return f"{value:%Y-%m}"
    return str(value)


@dataclass
class Figure:
    slug: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    chart: dict
    footer: list[Cell] | None = None
    note: str = ""
    wide: bool = False
    query: dict = field(default_factory=dict)  # extra parameters of the export link
    totals: dict = field(default_factory=dict)  # numbers the key figure cards reuse

    @property
    def empty(self) -> bool:
        return not self.rows

    @property
    def export_query(self) -> str:
        return f"?{urlencode(self.query)}" if self.query else ""

    def sheet(self) -> tuple[str, list[str], list[list[object]]]:
        rows = [[c.value for c in row] for row in self.rows]
        if self.footer:
            rows.append([c.value for c in self.footer])
        return self.title, self.headers, rows


def link(name: str, *args, **params) -> str:
    url = reverse(name, args=args)
    params = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{url}?{urlencode(params)}" if params else url


def money(value) -> Decimal:
    return (value or ZERO).quantize(Decimal("0.01"))


def rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def series(name, data, urls=None, **options) -> dict:
    """A chart series; Decimals become floats for the chart (the table keeps the exact sum)."""
    values = [float(v) if isinstance(v, Decimal) else v for v in data]
    return {"name": str(name), "data": values, "urls": urls or [], **options}


def bar_chart(categories, all_series, **options) -> dict:
    return {
        "kind": "bar",
        "categories": [str(c) for c in categories],
        "series": all_series,
        **options,
    }


def bar_height(count: int) -> int:
    """Height of a horizontal bar chart: room for every category."""
    return max(220, 70 + 30 * count)


def last_months(today: date, count: int = MONTHS) -> list[date]:
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def month_label(month: date) -> str:
    return f"{month:%Y-%m}"


# The dashboard --------------------------------------------------------------------------------


class DashboardBase:
    """A user's figures, computed on demand (`figure(slug)` calls `fig_<slug>`), and the
    querysets and aggregates several figures share. `today` is fixed at creation so every
    figure of a page counts against the same day; `campaign` picks the grid's campaign."""

    def __init__(self, user, *, today: date | None = None, campaign=None):
        self.user = user
        self.today = today or timezone.localdate()
        self.campaign_param = campaign

    def figure(self, slug: str) -> Figure:
        return getattr(self, f"fig_{slug}")()

    def figures(self, slugs) -> list[Figure]:
        return [self.figure(slug) for slug in slugs]

    # Shared querysets and aggregates ----------------------------------------------------------

    @cached_property
    def issues(self):
        """Ledger issues the user reads, as the ledger list shows them (not draft campaigns)."""
        from rectification.choices import CampaignStatus
        from rectification.models import LedgerIssue

        return LedgerIssue.objects.for_user(self.user).exclude(
            campaign__status=CampaignStatus.DRAFT
        )

    def _issue_counts(self) -> dict:
        from rectification.choices import OPEN_ISSUE_STATUSES, IssueStatus

        return {
            "pending": Count("id", filter=Q(status=IssueStatus.PENDING)),
            "in_progress": Count("id", filter=Q(status=IssueStatus.IN_PROGRESS)),
            "overdue": Count(
                "id", filter=Q(status__in=OPEN_ISSUE_STATUSES, deadline__lt=self.today)
            ),
            "arrears": Count("id", filter=Q(amount_owed__isnull=False)),
            "owed": Sum("amount_owed"),
            "repaid": Sum("amount_repaid", filter=Q(amount_owed__isnull=False)),
        }

    def _participations(self):
        """Launched campaigns' participations with, per deliverable, whether it is missing:
        due before today and never submitted (the grid's "not filed")."""
        from rectification.choices import CampaignStatus, FilingKind
        from rectification.models import Filing, Participation

        deadlines = {
            FilingKind.SELF_INSPECTION_REPORT: "campaign__report_deadline__lt",
            FilingKind.RECTIFICATION_PLAN: "campaign__plan_deadline__lt",
            FilingKind.RECTIFICATION_REPORT: "campaign__completion_deadline__lt",
        }
        counts = {}
        for kind, deadline in deadlines.items():
            filed = Filing.objects.filter(
                campaign_id=OuterRef("campaign_id"),
                agency_id=OuterRef("agency_id"),
                kind=kind,
                first_submitted_at__isnull=False,
            )
            counts[kind] = Count("id", filter=Q(**{deadline: self.today}) & ~Exists(filed))
        participations = Participation.objects.for_user(self.user).filter(
            campaign__status=CampaignStatus.LAUNCHED
        )
        return participations, counts

    @cached_property
    def complaint_counts(self) -> dict:
        from supervision.models import Complaint

        return Complaint.objects.for_user(self.user).aggregate(**self._complaint_aggregates())

    def _complaint_aggregates(self) -> dict:
        from supervision.choices import ComplaintStatus

        awaiting = (ComplaintStatus.RECEIVED, ComplaintStatus.ASSIGNED)
        replied = Q(reply_deadline__isnull=False, replied_at__isnull=False) & ~Q(
            status__in=awaiting
        )
        return {
            **{status: Count("id", filter=Q(status=status)) for status in ComplaintStatus.values},
            "on_time": Count("id", filter=replied & Q(replied_at__date__lte=F("reply_deadline"))),
            "late": Count("id", filter=replied & Q(replied_at__date__gt=F("reply_deadline"))),
            "waiting": Count(
                "id",
                filter=Q(status=ComplaintStatus.ASSIGNED, reply_deadline__gte=self.today),
            ),
            "waiting_overdue": Count(
                "id",
                filter=Q(status=ComplaintStatus.ASSIGNED, reply_deadline__lt=self.today),
            ),
        }

    @cached_property
    def records(self):
        from domains.models import TrustRecord

        return TrustRecord.objects.for_user(self.user)

    @staticmethod
    def _severity_counts() -> dict:
        from domains.choices import Severity

        return {s: Count("id", filter=Q(severity=s)) for s in Severity.values}

    def _severity_series(self, rows, urls) -> list[dict]:
        from domains.choices import Severity

        return [
            series(label, [r[s] for r in rows], urls[s], stack="records", color=SEVERITY_COLOURS[s])
            for s, label in Severity.choices
        ]


def card(key: str, label, value, url: str, *, alert: bool = False, detail: str = "") -> dict:
    """A key figure card: `alert` paints a non-zero number red."""
    return {
        "key": key,
        "label": str(label),
        "value": value,
        "text": display(value),
        "url": url,
        "alert": alert and bool(value),
        "detail": detail,
    }
