"""The conditions the rules look for, read across the apps with set-based queries: each
detector takes a fixed number of queries (one or two) whatever the number of agencies and rows,
and returns the candidate warnings of one tenant. Which candidates become warnings (not while
one is open about the same condition) is decided by `services.evaluate`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Max, Min, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from domains.choices import RecordStatus, Severity, SubjectType
from domains.models import TrustRecord
from integrity.masking import mask_name
from rectification.choices import CampaignStatus, DuplicateReason, FlagStatus, MilestoneStatus
from rectification.models import DuplicateFlag, LedgerIssue, Milestone, Repayment
from supervision.models import Complaint, DebtorListing

from .choices import FigureUnit, RuleKind
from .models import DebtFigure
from .rules import window_start

CENT = Decimal("0.01")


@dataclass
class Candidate:
    dedupe_key: str
    title: str
    agency_id: int | None = None
    figure: Decimal | None = None
    threshold: Decimal | None = None
    unit: str = ""
    evidence: str = ""
    evidence_url: str = ""


def _url(name: str, *, pk: int | None = None, **query) -> str:
    url = reverse(name, args=[pk] if pk is not None else None)
    query = {key: value for key, value in query.items() if value not in (None, "")}
    return f"{url}?{urlencode(query)}" if query else url


def _yuan(value: Decimal) -> str:
    return number_format(value.quantize(CENT, rounding=ROUND_HALF_UP), 2, force_grouping=True)


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight at the start of a local day, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# 1. Arrears ---------------------------------------------------------------------------------


def arrears(rule, tenant, today: dt.date) -> list[Candidate]:
    outstanding = ExpressionWrapper(
        F("amount_owed") - F("amount_repaid"),
        output_field=DecimalField(max_digits=17, decimal_places=2),
    )
    unpaid = (
        LedgerIssue.objects.for_tenant(tenant)
        .exclude(campaign__status=CampaignStatus.DRAFT)
        .filter(amount_owed__isnull=False, amount_owed__gt=F("amount_repaid"))
    )
    rows = list(
        unpaid.order_by()
        .values("agency_id", "agency__name")
        .annotate(outstanding=Sum(outstanding), issues=Count("id"), since=Min("discovered_on"))
    )
    last_repaid = {}
    if rule.days is not None and rows:
        last_repaid = dict(
            Repayment.objects.for_tenant(tenant)
            .filter(paid_on__lte=today, issue__agency_id__in=[row["agency_id"] for row in rows])
            .exclude(issue__campaign__status=CampaignStatus.DRAFT)
            .order_by()
            .values("issue__agency_id")
            .annotate(last=Max("paid_on"))
            .values_list("issue__agency_id", "last")
        )
    candidates = []
    for row in rows:
        agency_id, name = row["agency_id"], row["agency__name"]
        url = _url("rectification:issue-list", agency=agency_id, outstanding="true")
        if rule.amount is not None and row["outstanding"] >= rule.amount:
            candidates.append(
                Candidate(
                    dedupe_key=f"arrears:amount:agency:{agency_id}",
                    title=_("%(agency)s: arrears outstanding %(amount)s yuan")
                    % {"agency": name, "amount": _yuan(row["outstanding"])},
                    agency_id=agency_id,
                    figure=row["outstanding"],
                    threshold=rule.amount,
                    unit=FigureUnit.YUAN,
                    evidence=ngettext(
                        "%(amount)s yuan outstanding on %(n)d ledger issue.",
                        "%(amount)s yuan outstanding on %(n)d ledger issues.",
                        row["issues"],
                    )
                    % {"amount": _yuan(row["outstanding"]), "n": row["issues"]},
                    evidence_url=url,
                )
            )
        if rule.days is not None:
            last = last_repaid.get(agency_id)
            since = max(last, row["since"]) if last else row["since"]
            days = (today - since).days
            if days >= rule.days:
                evidence = (
                    _("Last repayment on %(date)s; %(amount)s yuan still outstanding.")
                    if last and last >= row["since"]
                    else _("No repayment since %(date)s; %(amount)s yuan still outstanding.")
                )
                candidates.append(
                    Candidate(
                        dedupe_key=f"arrears:stalled:agency:{agency_id}",
                        title=ngettext(
                            "%(agency)s: arrears not reduced for %(days)d day",
                            "%(agency)s: arrears not reduced for %(days)d days",
                            days,
                        )
                        % {"agency": name, "days": days},
                        agency_id=agency_id,
                        figure=Decimal(days),
                        threshold=Decimal(rule.days),
                        unit=FigureUnit.DAYS,
                        evidence=evidence
                        % {"date": since.isoformat(), "amount": _yuan(row["outstanding"])},
                        evidence_url=url,
                    )
                )
    return candidates


# 2. Milestones ------------------------------------------------------------------------------


def milestone_overdue(rule, tenant, today: dt.date) -> list[Candidate]:
    rows = (
        Milestone.objects.for_tenant(tenant)
        .filter(
            status=MilestoneStatus.OPEN,
            campaign__status=CampaignStatus.LAUNCHED,
            due_on__lte=today - dt.timedelta(days=rule.days),
        )
        .order_by("due_on", "id")
        .values("id", "title", "due_on", "agency_id", "agency__name", "campaign__title")
    )
    candidates = []
    for row in rows:
        days = (today - row["due_on"]).days
        candidates.append(
            Candidate(
                dedupe_key=f"milestone:{row['id']}",
                title=ngettext(
                    "%(agency)s: milestone “%(title)s” overdue by %(days)d day",
                    "%(agency)s: milestone “%(title)s” overdue by %(days)d days",
                    days,
                )
                % {"agency": row["agency__name"], "title": row["title"], "days": days},
                agency_id=row["agency_id"],
                figure=Decimal(days),
                threshold=Decimal(rule.days),
                unit=FigureUnit.DAYS,
                evidence=_("Due on %(date)s in the campaign “%(campaign)s”.")
                % {"date": row["due_on"].isoformat(), "campaign": row["campaign__title"]},
                evidence_url=_url("rectification:milestone-detail", pk=row["id"]),
            )
        )
    return candidates


# 3. Complaints ------------------------------------------------------------------------------


def complaints(rule, tenant, today: dt.date) -> list[Candidate]:
    since = window_start(today, rule.window_days)
    rows = (
        Complaint.objects.for_tenant(tenant)
        .filter(received_on__gte=since, received_on__lte=today)
        .order_by()
        .values("agency_id", "agency__name")
        .annotate(n=Count("id"))
        .filter(n__gte=rule.count)
    )
    return [
        Candidate(
            dedupe_key=f"complaints:agency:{row['agency_id']}",
            title=ngettext(
                "%(agency)s: %(n)d complaint in %(days)d days",
                "%(agency)s: %(n)d complaints in %(days)d days",
                row["n"],
            )
            % {"agency": row["agency__name"], "n": row["n"], "days": rule.window_days},
            agency_id=row["agency_id"],
            figure=Decimal(row["n"]),
            threshold=Decimal(rule.count),
            unit=FigureUnit.COUNT,
            evidence=ngettext(
                "%(n)d complaint received from %(start)s to %(end)s.",
                "%(n)d complaints received from %(start)s to %(end)s.",
                row["n"],
            )
            % {"n": row["n"], "start": since.isoformat(), "end": today.isoformat()},
            evidence_url=_url(
                "supervision:complaint-list",
                agency=row["agency_id"],
                received_from=since.isoformat(),
                received_to=today.isoformat(),
            ),
        )
        for row in rows
    ]


# 4. Serious failure-of-trust records --------------------------------------------------------


def serious_record(rule, tenant, today: dt.date) -> list[Candidate]:
    since = window_start(today, rule.window_days)
    rows = (
        TrustRecord.objects.for_tenant(tenant)
        .filter(severity=Severity.SERIOUS, created_at__gte=_start_of(since))
        .exclude(status=RecordStatus.REVOKED)
        .order_by("created_at", "id")
        .values(
            "id",
            "subject_type",
            "subject_name",
            "agency_id",
            "decision_number",
            "decision_date",
            "deciding_authority",
        )
    )
    return [
        Candidate(
            dedupe_key=f"record:{row['id']}",
            # Warnings are read by roles that see natural persons' names masked only.
            title=_("Serious failure-of-trust record: %(subject)s")
            % {
                "subject": mask_name(row["subject_name"])
                if row["subject_type"] == SubjectType.CIVIL_SERVANT
                else row["subject_name"]
            },
            agency_id=row["agency_id"],
            evidence=_("Decision %(number)s of %(authority)s, %(date)s.")
            % {
                "number": row["decision_number"],
                "authority": row["deciding_authority"],
                "date": row["decision_date"].isoformat(),
            },
            evidence_url=_url("domains:record-detail", pk=row["id"]),
        )
        for row in rows
    ]


# 5. Duplicate investment signings -----------------------------------------------------------


def duplicate_signing(rule, tenant, today: dt.date) -> list[Candidate]:
    rows = (
        DuplicateFlag.objects.for_tenant(tenant)
        .filter(status=FlagStatus.OPEN)
        .order_by("created_at", "id")
        .values(
            "id",
            "reason",
            "similarity",
            "project__name",
            "project__agency__name",
            "other__name",
            "other__agency__name",
        )
    )
    url = _url("rectification:duplicate-list", status=FlagStatus.OPEN)
    return [
        Candidate(
            # The office's business: no agency, so that neither agency reads the other's project.
            dedupe_key=f"duplicate:{row['id']}",
            title=_("Likely duplicate signing: %(a)s / %(b)s")
            % {"a": row["project__name"], "b": row["other__name"]},
            evidence=_("%(reason)s: “%(a)s” (%(agency_a)s) and “%(b)s” (%(agency_b)s).")
            % {
                "reason": DuplicateReason(row["reason"]).label,
                "a": row["project__name"],
                "agency_a": row["project__agency__name"],
                "b": row["other__name"],
                "agency_b": row["other__agency__name"],
            },
            evidence_url=url,
        )
        for row in rows
    ]


# 6. Dishonest judgment debtor listings ------------------------------------------------------


def debtor_listing(rule, tenant, today: dt.date) -> list[Candidate]:
    since = window_start(today, rule.window_days)
    rows = (
        DebtorListing.objects.for_tenant(tenant)
        # Newly listed and still in force (a removal dated in the future has not happened yet,
        # as on the listings page).
        .filter(listed_on__gte=since, listed_on__lte=today)
        .filter(Q(removed_on__isnull=True) | Q(removed_on__gt=today))
        .order_by("listed_on", "id")
        .values("id", "agency_id", "agency__name", "case_number", "court", "listed_on", "amount")
    )
    candidates = []
    for row in rows:
        evidence = _("Case %(case)s of %(court)s, listed on %(date)s.") % {
            "case": row["case_number"],
            "court": row["court"],
            "date": row["listed_on"].isoformat(),
        }
        candidates.append(
            Candidate(
                dedupe_key=f"listing:{row['id']}",
                title=_("%(agency)s listed as a dishonest judgment debtor")
                % {"agency": row["agency__name"]},
                agency_id=row["agency_id"],
                figure=row["amount"],
                unit=FigureUnit.YUAN if row["amount"] is not None else "",
                evidence=evidence,
                evidence_url=_url(
                    "supervision:listing-list", agency=row["agency_id"], active="true"
                ),
            )
        )
    return candidates


# 7. Government debt -------------------------------------------------------------------------


def debt_line(rule, tenant, today: dt.date) -> list[Candidate]:
    """The latest figure of the county and of each agency, held against its warning line."""
    latest = (
        DebtFigure.objects.for_tenant(tenant)
        .filter(as_of__lte=today)
        .order_by("agency_id", "-as_of", "-id")
        .distinct("agency_id")
        .select_related("agency")
    )
    percent = rule.percent
    candidates = []
    for figure in latest:
        reached = []  # (percent of the line reached, evidence)
        if figure.warning_line:
            share = figure.balance * 100 / figure.warning_line
            reached.append(
                (
                    share,
                    _("Debt balance %(balance)s yuan against a warning line of %(line)s yuan")
                    % {"balance": _yuan(figure.balance), "line": _yuan(figure.warning_line)},
                )
            )
        if figure.warning_ratio and figure.financial_capacity:
            ratio = figure.balance * 100 / figure.financial_capacity
            reached.append(
                (
                    ratio * 100 / figure.warning_ratio,
                    _("Debt ratio %(ratio)s %% against a warning ratio of %(line)s %%")
                    % {
                        "ratio": number_format(ratio.quantize(CENT), 2),
                        "line": number_format(figure.warning_ratio, 2),
                    },
                )
            )
        share, evidence = max(reached, key=lambda item: item[0], default=(None, ""))
        if share is None or share < percent:
            continue
        subject = figure.agency.name if figure.agency_id else str(tenant)
        candidates.append(
            Candidate(
                dedupe_key=f"debt:agency:{figure.agency_id}" if figure.agency_id else "debt:county",
                title=_("%(subject)s: government debt at %(share)s %% of the warning line")
                % {"subject": subject, "share": number_format(share.quantize(CENT), 2)},
                agency_id=figure.agency_id,
                figure=share.quantize(CENT, rounding=ROUND_HALF_UP),
                threshold=percent,
                unit=FigureUnit.PERCENT,
                evidence=_("%(evidence)s (as of %(date)s).")
                % {"evidence": evidence, "date": figure.as_of.isoformat()},
                evidence_url=_url(
                    "monitoring:debt-list",
                    **({"agency": figure.agency_id} if figure.agency_id else {"county": "true"}),
                ),
            )
        )
    return candidates


DETECTORS: dict[str, Callable] = {
    RuleKind.ARREARS: arrears,
    RuleKind.MILESTONE_OVERDUE: milestone_overdue,
    RuleKind.COMPLAINTS: complaints,
    RuleKind.SERIOUS_RECORD: serious_record,
    RuleKind.DUPLICATE_SIGNING: duplicate_signing,
    RuleKind.DEBTOR_LISTING: debtor_listing,
    RuleKind.DEBT_LINE: debt_line,
}
