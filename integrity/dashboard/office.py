"""The credit office's figures (and the cards of an agency's home, read the same way)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import cached_property

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce, Floor, Least, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import RankingGroup

from .base import (
    AMBER,
    BLUE,
    GREEN,
    ORANGE,
    RED,
    SCORE_BUCKET,
    STATE_COLOURS,
    TEAL,
    ZERO,
    Cell,
    DashboardBase,
    Figure,
    bar_chart,
    bar_height,
    card,
    cell,
    display,
    last_months,
    link,
    money,
    month_end,
    month_label,
    rate,
    series,
)


class OfficeFigures(DashboardBase):
    """The office's dashboard: every figure reads the user's scope, so an agency user's home
    reuses some of them for its own rows."""

    def fig_issues(self) -> Figure:
        """Open ledger issues by key domain and status, with how many are overdue."""
        from rectification.choices import OPEN_ISSUE_STATUSES, IssueStatus

        counts = self._issue_counts()
        rows = list(
            self.issues.filter(status__in=OPEN_ISSUE_STATUSES)
            .values("domain_id", "domain__name", "domain__position")
            .annotate(
                pending=counts["pending"],
                in_progress=counts["in_progress"],
                overdue=counts["overdue"],
            )
            .order_by("domain__position", "domain__name", "domain_id")
        )
        ledger = "rectification:issue-list"
        keys = {
            "pending": {"status": IssueStatus.PENDING},
            "in_progress": {"status": IssueStatus.IN_PROGRESS},
            "overdue": {"overdue": "true"},
        }
        urls = {
            key: [link(ledger, domain=r["domain_id"], **p) for r in rows] for key, p in keys.items()
        }
        table = [
            [
                cell(row["domain__name"]),
                *[cell(row[key], urls[key][i]) for key in keys],
                cell(row["pending"] + row["in_progress"]),
            ]
            for i, row in enumerate(rows)
        ]
        totals = {key: sum(r[key] for r in rows) for key in keys}
        totals["open"] = totals["pending"] + totals["in_progress"]
        footer = [
            cell(_("Total")),
            *[cell(totals[key], link(ledger, **p)) for key, p in keys.items()],
            cell(totals["open"]),
        ]
        chart = bar_chart(
            [r["domain__name"] for r in rows],
            [
                series(
                    IssueStatus.PENDING.label,
                    [r["pending"] for r in rows],
                    urls["pending"],
                    stack="open",
                    color=AMBER,
                ),
                series(
                    IssueStatus.IN_PROGRESS.label,
                    [r["in_progress"] for r in rows],
                    urls["in_progress"],
                    stack="open",
                    color=BLUE,
                ),
                series(_("Overdue"), [r["overdue"] for r in rows], urls["overdue"], color=RED),
            ],
            rotate=True,
        )
        return Figure(
            slug="issues",
            title=_("Open ledger issues by key domain"),
            headers=[
                _("Key domain"),
                str(IssueStatus.PENDING.label),
                str(IssueStatus.IN_PROGRESS.label),
                _("Overdue"),
                _("Open issues"),
            ],
            rows=table,
            footer=footer,
            chart=chart,
            totals=totals,
        )

    def fig_arrears(self) -> Figure:
        """Arrears owed, repaid and outstanding, by agency (largest outstanding first)."""
        counts = self._issue_counts()
        rows = list(
            self.issues.filter(amount_owed__isnull=False)
            .values("agency_id", "agency__name")
            .annotate(arrears=counts["arrears"], owed=counts["owed"], repaid=counts["repaid"])
            .order_by()
        )
        for row in rows:
            row["owed"], row["repaid"] = money(row["owed"]), money(row["repaid"])
            row["outstanding"] = row["owed"] - row["repaid"]
        rows.sort(key=lambda r: (-r["outstanding"], -r["owed"], r["agency__name"]))
        ledger = "rectification:issue-list"
        urls = [link(ledger, agency=r["agency_id"], arrears="true") for r in rows]
        table = [
            [
                cell(r["agency__name"]),
                cell(r["arrears"], urls[i]),
                cell(r["owed"]),
                cell(r["repaid"]),
                cell(r["outstanding"]),
            ]
            for i, r in enumerate(rows)
        ]
        owed = sum((r["owed"] for r in rows), ZERO)
        repaid = sum((r["repaid"] for r in rows), ZERO)
        totals = {"owed": owed, "repaid": repaid, "outstanding": owed - repaid}
        footer = [
            cell(_("Total")),
            cell(sum(r["arrears"] for r in rows), link(ledger, arrears="true")),
            cell(owed),
            cell(repaid),
            cell(owed - repaid),
        ]
        chart = bar_chart(
            [r["agency__name"] for r in rows],
            [
                series(
                    _("Repaid (yuan)"), [r["repaid"] for r in rows], urls, stack="owed", color=GREEN
                ),
                series(
                    _("Outstanding (yuan)"),
                    [r["outstanding"] for r in rows],
                    urls,
                    stack="owed",
                    color=RED,
                ),
            ],
            horizontal=True,
            money=True,
            height=bar_height(len(rows)),
        )
        return Figure(
            slug="arrears",
            title=_("Arrears owed to enterprises, by agency"),
            headers=[
                _("Agency"),
                _("Issues with arrears"),
                _("Owed (yuan)"),
                _("Repaid (yuan)"),
                _("Outstanding (yuan)"),
            ],
            rows=table,
            footer=footer,
            chart=chart,
            totals=totals,
        )

    def fig_clearance(self) -> Figure:
        """The clearance trend over the last twelve months: yuan repaid each month (repayment
        dates) and what was still outstanding at the end of each month (debts counted from
        their delivery or acceptance date, else from their discovery)."""
        from rectification.choices import CampaignStatus
        from rectification.models import Repayment

        months = last_months(self.today)
        owed_by_month = dict(
            self.issues.filter(amount_owed__isnull=False)
            .values_list(TruncMonth(Coalesce("accepted_on", "discovered_on")))
            .annotate(Sum("amount_owed"))
            .order_by()
        )
        repaid_by_month = dict(
            Repayment.objects.for_user(self.user)
            .exclude(issue__campaign__status=CampaignStatus.DRAFT)
            .values_list(TruncMonth("paid_on"))
            .annotate(Sum("amount"))
            .order_by()
        )
        owed_before = sum((v for m, v in owed_by_month.items() if m < months[0]), ZERO)
        repaid_before = sum((v for m, v in repaid_by_month.items() if m < months[0]), ZERO)
        arrears = link("rectification:issue-list", arrears="true")
        table, repaid_series, outstanding_series = [], [], []
        cumulative_owed, cumulative_repaid = owed_before, repaid_before
        for month in months:
            owed, repaid = money(owed_by_month.get(month)), money(repaid_by_month.get(month))
            cumulative_owed += owed
            cumulative_repaid += repaid
            outstanding = money(cumulative_owed - cumulative_repaid)
            table.append([cell(month_label(month)), cell(owed), cell(repaid), cell(outstanding)])
            repaid_series.append(repaid)
            outstanding_series.append(outstanding)
        if not (owed_by_month or repaid_by_month):
            table = []
        urls = [arrears] * len(months)
        chart = bar_chart(
            [month_label(m) for m in months],
            [
                series(_("Repaid in the month (yuan)"), repaid_series, urls, color=GREEN),
                series(
                    _("Outstanding at the month's end (yuan)"),
                    outstanding_series,
                    urls,
                    type="line",
                    color=RED,
                ),
            ],
            money=True,
        )
        return Figure(
            slug="clearance",
            title=_("Arrears clearance by month"),
            headers=[
                _("Month"),
                _("Newly owed (yuan)"),
                _("Repaid in the month (yuan)"),
                _("Outstanding at the month's end (yuan)"),
            ],
            rows=table,
            chart=chart,
            note=_(
                "A debt counts from its delivery or acceptance date (else from its discovery), "
                "a repayment from the day it was paid."
            ),
        )

    def fig_overdue(self) -> Figure:
        """Overdue milestones and deliverables not filed after their deadline, by agency
        (running campaigns)."""
        from rectification.selectors import overdue_milestones

        milestones = {
            row["agency_id"]: row
            for row in overdue_milestones(self.user, self.today)
            .values("agency_id", "agency__name")
            .annotate(n=Count("id"))
            .order_by()
        }
        participations, counts = self._participations()
        missing = defaultdict(lambda: {"n": 0, "campaigns": set(), "agency__name": ""})
        for row in (
            participations.values("agency_id", "agency__name", "campaign_id")
            .annotate(**counts)
            .order_by()
        ):
            n = sum(row[kind] for kind in counts)
            if n:
                entry = missing[row["agency_id"]]
                entry["n"] += n
                entry["campaigns"].add(row["campaign_id"])
                entry["agency__name"] = row["agency__name"]
        agencies = {k: v["agency__name"] for k, v in {**missing, **milestones}.items()}
        ids = sorted(
            agencies,
            key=lambda a: (
                -(milestones.get(a, {}).get("n", 0) + missing.get(a, {}).get("n", 0)),
                agencies[a],
            ),
        )
        table, milestone_urls, missing_urls = [], [], []
        for agency_id in ids:
            milestone_url = link("rectification:overdue", agency=agency_id)
            campaigns = missing[agency_id]["campaigns"] if agency_id in missing else set()
            if len(campaigns) == 1:
                missing_url = link("rectification:campaign-detail", next(iter(campaigns)))
            else:
                missing_url = link("rectification:campaign-list", status="launched")
            m = milestones.get(agency_id, {}).get("n", 0)
            f = missing[agency_id]["n"] if agency_id in missing else 0
            milestone_urls.append(milestone_url)
            missing_urls.append(missing_url)
            table.append(
                [
                    cell(agencies[agency_id]),
                    cell(m, milestone_url if m else ""),
                    cell(f, missing_url if f else ""),
                ]
            )
        totals = {
            "milestones": sum(r["n"] for r in milestones.values()),
            "deliverables": sum(r["n"] for r in missing.values()),
        }
        footer = [
            cell(_("Total")),
            cell(totals["milestones"], link("rectification:overdue")),
            cell(totals["deliverables"], link("rectification:campaign-list", status="launched")),
        ]
        chart = bar_chart(
            [agencies[a] for a in ids],
            [
                series(
                    _("Overdue milestones"),
                    [r[1].value for r in table],
                    milestone_urls,
                    stack="late",
                    color=ORANGE,
                ),
                series(
                    _("Deliverables not filed"),
                    [r[2].value for r in table],
                    missing_urls,
                    stack="late",
                    color=RED,
                ),
            ],
            horizontal=True,
            height=bar_height(len(ids)),
        )
        return Figure(
            slug="overdue",
            title=_("Overdue milestones and reports by agency"),
            headers=[_("Agency"), _("Overdue milestones"), _("Deliverables not filed")],
            rows=table,
            footer=footer,
            chart=chart,
            totals=totals,
            note=_(
                "Deliverables not filed: self-inspection reports, rectification plans and "
                "reports of running campaigns past their deadline and never submitted."
            ),
        )

    def fig_complaints(self) -> Figure:
        """Complaints by state."""
        from supervision.choices import ComplaintStatus

        counts = self.complaint_counts
        urls = [link("supervision:complaint-list", status=s) for s in ComplaintStatus.values]
        table = [
            [cell(str(label)), cell(counts[status], urls[i])]
            for i, (status, label) in enumerate(ComplaintStatus.choices)
        ]
        total = sum(counts[s] for s in ComplaintStatus.values)
        chart = bar_chart(
            [label for _s, label in ComplaintStatus.choices],
            [
                series(
                    _("Complaints"), [counts[s] for s in ComplaintStatus.values], urls, color=BLUE
                )
            ],
        )
        return Figure(
            slug="complaints",
            title=_("Complaints by state"),
            headers=[_("State"), _("Complaints")],
            rows=table if total else [],
            footer=[cell(_("Total")), cell(total, link("supervision:complaint-list"))],
            chart=chart,
        )

    def fig_replies(self) -> Figure:
        """How agencies keep the reply deadline of the complaints passed to them."""
        from supervision.choices import ComplaintStatus

        counts = self.complaint_counts
        complaints = "supervision:complaint-list"
        parts = [
            ("on_time", _("Replied on time"), "", GREEN),
            ("late", _("Replied late"), "", AMBER),
            (
                "waiting",
                _("Awaiting the reply, within the deadline"),
                link(complaints, status=ComplaintStatus.ASSIGNED, overdue="false"),
                BLUE,
            ),
            (
                "waiting_overdue",
                _("Awaiting the reply, past the deadline"),
                link(complaints, status=ComplaintStatus.ASSIGNED, overdue="true"),
                RED,
            ),
        ]
        due = counts["on_time"] + counts["late"] + counts["waiting_overdue"]
        compliance = rate(counts["on_time"], due)
        table = [[cell(label), cell(counts[key], url)] for key, label, url, _c in parts]
        chart = {
            "kind": "pie",
            "data": [
                {"name": str(label), "value": counts[key], "url": url, "color": colour}
                for key, label, url, colour in parts
            ],
            "center": display(compliance) if compliance is not None else "",
            "centerLabel": _("on time"),
        }
        return Figure(
            slug="replies",
            title=_("Reply deadlines of complaints"),
            headers=[_("Replies"), _("Complaints")],
            rows=table if any(counts[k] for k, *_r in parts) else [],
            footer=[cell(_("Replied on time, share of replies due")), cell(compliance)],
            chart=chart,
            totals={"waiting_overdue": counts["waiting_overdue"], "compliance": compliance},
            note=_(
                "On-time rate: replies made by the deadline, out of the replies made and those "
                "past their deadline."
            ),
        )

    def fig_records_domain(self) -> Figure:
        """Failure-of-trust records by key domain and severity (all records, as in the list)."""
        from domains.choices import Severity

        rows = list(
            self.records.values("domain_id", "domain__name", "domain__position")
            .annotate(**self._severity_counts())
            .order_by("domain__position", "domain__name", "domain_id")
        )
        records = "domains:record-list"
        urls = {
            # Records without a key domain have no list filter of their own: no link.
            s: [
                link(records, domain=r["domain_id"], severity=s) if r["domain_id"] else ""
                for r in rows
            ]
            for s in Severity.values
        }
        names = [r["domain__name"] or _("No key domain") for r in rows]
        table = [
            [
                cell(names[i]),
                *[cell(r[s], urls[s][i]) for s in Severity.values],
                cell(sum(r[s] for s in Severity.values)),
            ]
            for i, r in enumerate(rows)
        ]
        totals = {s: sum(r[s] for r in rows) for s in Severity.values}
        footer = [
            cell(_("Total")),
            *[cell(totals[s], link(records, severity=s)) for s in Severity.values],
            cell(sum(totals.values()), link(records)),
        ]
        return Figure(
            slug="records_domain",
            title=_("Failure-of-trust records by key domain"),
            headers=[_("Key domain"), *[str(label) for _s, label in Severity.choices], _("Total")],
            rows=table,
            footer=footer,
            chart=bar_chart(names, self._severity_series(rows, urls), rotate=True),
        )

    def fig_records_month(self) -> Figure:
        """Failure-of-trust records by decision month and severity, last twelve months."""
        from domains.choices import Severity

        months = last_months(self.today)
        found = {
            row["month"]: row
            for row in self.records.filter(decision_date__range=(months[0], month_end(months[-1])))
            .values(month=TruncMonth("decision_date"))
            .annotate(**self._severity_counts())
            .order_by()
        }
        empty = dict.fromkeys(Severity.values, 0)
        rows = [found.get(m, empty) for m in months]
        records = "domains:record-list"
        urls = {
            s: [
                link(
                    records,
                    severity=s,
                    decided_from=m.isoformat(),
                    decided_to=month_end(m).isoformat(),
                )
                for m in months
            ]
            for s in Severity.values
        }
        table = [
            [cell(month_label(m)), *[cell(rows[i][s], urls[s][i]) for s in Severity.values]]
            for i, m in enumerate(months)
        ]
        this_year = [r for m, r in zip(months, rows, strict=True) if m.year == self.today.year]
        return Figure(
            slug="records_month",
            title=_("Failure-of-trust records by month"),
            headers=[_("Month"), *[str(label) for _s, label in Severity.choices]],
            rows=table if found else [],
            chart=bar_chart([month_label(m) for m in months], self._severity_series(rows, urls)),
            totals={"serious_this_year": sum(r[Severity.SERIOUS] for r in this_year)},
            note=_("By decision date."),
        )

    @cached_property
    def grid_campaign(self):
        """The running campaign the grid shows: the one asked for, else the one that ends first."""
        from rectification.choices import CampaignStatus
        from rectification.selectors import campaigns_for_user

        running = list(
            campaigns_for_user(self.user)
            .filter(status=CampaignStatus.LAUNCHED)
            .order_by("completion_deadline", "id")
        )
        chosen = next((c for c in running if str(c.pk) == str(self.campaign_param)), None)
        return chosen or (running[0] if running else None), running

    def fig_grid(self) -> Figure:
        """Campaign progress: agency × deliverable, filed on time / late / missing / not due."""
        from rectification.choices import FilingKind, FilingState
        from rectification.selectors import campaign_grid

        campaign, running = self.grid_campaign
        grid = campaign_grid(campaign, self.today) if campaign is not None else []
        states = list(FilingState.values)
        detail = link("rectification:campaign-detail", campaign.pk) if campaign else ""
        table, cells = [], []
        for y, row in enumerate(grid):
            line = [cell(row["agency"].name)]
            for x, item in enumerate(row["deliverables"]):
                filing = item["filing"]
                submitted = filing is not None and filing.first_submitted_at is not None
                url = link("rectification:filing-detail", filing.pk) if submitted else detail
                label = str(FilingState(item["state"]).label)
                if item["submitted_at"]:
                    label += f" {timezone.localtime(item['submitted_at']):%m-%d}"
                line.append(Cell(value=label, text=label, url=url))
                cells.append([x, y, states.index(item["state"]), url])
            table.append(line)
        chart = {
            "kind": "grid",
            "x": [str(label) for _k, label in FilingKind.choices],
            "y": [row["agency"].name for row in grid],
            "states": [
                {"label": str(FilingState(s).label), "color": STATE_COLOURS[s]} for s in states
            ],
            "cells": cells,
            "height": bar_height(len(grid)) + 40,
        }
        note = ""
        if campaign is not None:
            note = _("%(campaign)s · deadlines %(report)s / %(plan)s / %(completion)s") % {
                "campaign": campaign.title,
                "report": f"{campaign.report_deadline:%m-%d}",
                "plan": f"{campaign.plan_deadline:%m-%d}",
                "completion": f"{campaign.completion_deadline:%m-%d}",
            }
        return Figure(
            slug="grid",
            title=_("Campaign progress by agency"),
            headers=[_("Agency"), *[str(label) for _k, label in FilingKind.choices]],
            rows=table,
            chart=chart,
            note=note,
            wide=True,
            query={"campaign": campaign.pk} if campaign else {},
            totals={"campaign": campaign, "running": running},
        )

    def fig_scores(self) -> Figure:
        """The distribution of the totals of the latest finished score run."""
        from scoring.choices import RunStatus
        from scoring.models import AgencyScore, ScoreRun

        run = (
            ScoreRun.objects.for_user(self.user)
            .filter(status=RunStatus.SUCCEEDED)
            .select_related("scheme", "publication")
            .order_by("-scheme__end", "-finished_at", "-id")
            .first()
        )
        counts = defaultdict(int)
        if run is not None:
            for row in (
                AgencyScore.objects.for_user(self.user)
                .filter(run=run)
                # A full 100 belongs to the top band (90–100), not a band of its own.
                .values(
                    "ranking_group",
                    bucket=Least(
                        Floor(F("total") / SCORE_BUCKET),
                        Value(100 // SCORE_BUCKET - 1),
                        output_field=DecimalField(),
                    ),
                )
                .annotate(n=Count("id"))
                .order_by()
            ):
                counts[(int(row["bucket"]), row["ranking_group"])] += row["n"]
        buckets = sorted({b for b, _g in counts})
        buckets = list(range(buckets[0], buckets[-1] + 1)) if buckets else []
        groups = [(g, label) for g, label in RankingGroup.choices if any(k[1] == g for k in counts)]
        url = link("scoring:run-detail", run.pk) if run else ""
        labels = [f"{b * SCORE_BUCKET}–{(b + 1) * SCORE_BUCKET}" for b in buckets]
        table = [
            [
                cell(labels[i]),
                *[cell(counts[(b, g)], url) for g, _l in groups],
                cell(sum(counts[(b, g)] for g, _l in groups)),
            ]
            for i, b in enumerate(buckets)
        ]
        note = ""
        if run is not None:
            published = getattr(run, "publication", None)
            state = _("published") if published is not None else _("not published")
            note = f"{run.scheme.name} · {state}"
        colours = {RankingGroup.DEPARTMENT: BLUE, RankingGroup.TOWNSHIP: TEAL}
        chart = bar_chart(
            labels,
            [
                series(
                    label,
                    [counts[(b, g)] for b in buckets],
                    [url] * len(buckets),
                    stack="agencies",
                    color=colours.get(g),
                )
                for g, label in groups
            ],
        )
        return Figure(
            slug="scores",
            title=_("Score distribution of the latest run"),
            headers=[_("Total points"), *[str(label) for _g, label in groups], _("Agencies")],
            rows=table,
            chart=chart,
            note=note,
            totals={"run": run},
        )

    # An agency's own figures ------------------------------------------------------------------

    def agency_cards(self) -> list[dict]:
        """The figure cards of an agency's home: its open and overdue issues, arrears
        outstanding, overdue milestones, complaints awaiting its reply and its records."""
        from domains.choices import Severity
        from rectification.choices import IssueStatus
        from rectification.selectors import overdue_milestones
        from supervision.choices import ComplaintStatus
        from supervision.models import Complaint

        issues = self.issues.aggregate(**self._issue_counts())
        outstanding = money(issues["owed"]) - money(issues["repaid"])
        milestones = overdue_milestones(self.user, self.today).count()
        complaints = Complaint.objects.for_user(self.user).aggregate(
            waiting=Count("id", filter=Q(status=ComplaintStatus.ASSIGNED)),
            overdue=Count(
                "id",
                filter=Q(status=ComplaintStatus.ASSIGNED, reply_deadline__lt=self.today),
            ),
        )
        records = self.records.aggregate(total=Count("id"), **self._severity_counts())
        ledger, complaint_list = "rectification:issue-list", "supervision:complaint-list"
        assigned = ComplaintStatus.ASSIGNED
        return [
            card(
                "issues-pending",
                IssueStatus.PENDING.label,
                issues["pending"],
                link(ledger, status=IssueStatus.PENDING),
            ),
            card(
                "issues-in-progress",
                IssueStatus.IN_PROGRESS.label,
                issues["in_progress"],
                link(ledger, status=IssueStatus.IN_PROGRESS),
            ),
            card(
                "issues-overdue",
                _("Overdue issues"),
                issues["overdue"],
                link(ledger, overdue="true"),
                alert=True,
            ),
            card(
                "arrears-outstanding",
                _("Arrears outstanding (yuan)"),
                outstanding,
                link(ledger, outstanding="true"),
                alert=True,
            ),
            card(
                "milestones-overdue",
                _("Overdue milestones"),
                milestones,
                link("rectification:overdue"),
                alert=True,
            ),
            card(
                "complaints-waiting",
                _("Complaints awaiting our reply"),
                complaints["waiting"],
                link(complaint_list, status=assigned),
            ),
            card(
                "complaints-overdue",
                _("Replies past the deadline"),
                complaints["overdue"],
                link(complaint_list, status=assigned, overdue="true"),
                alert=True,
            ),
            card(
                "records",
                _("Failure-of-trust records"),
                records["total"],
                link("domains:record-list"),
                detail=_("serious: %(n)s") % {"n": records[Severity.SERIOUS]},
            ),
        ]


def office_cards(figures: dict[str, Figure], warnings: dict | None, today: date) -> list[dict]:
    """The office's key figures, taken from the figures already computed (no more queries)."""
    from domains.choices import Severity

    issues, overdue = figures["issues"].totals, figures["overdue"].totals
    cards = [
        card("issues-open", _("Open ledger issues"), issues["open"], "#figure-issues"),
        card(
            "issues-overdue",
            _("Overdue issues"),
            issues["overdue"],
            link("rectification:issue-list", overdue="true"),
            alert=True,
        ),
        card(
            "arrears-outstanding",
            _("Arrears outstanding (yuan)"),
            figures["arrears"].totals["outstanding"],
            link("rectification:issue-list", outstanding="true"),
            alert=True,
        ),
        card(
            "milestones-overdue",
            _("Overdue milestones"),
            overdue["milestones"],
            link("rectification:overdue"),
            alert=True,
        ),
        card(
            "deliverables-missing",
            _("Deliverables not filed"),
            overdue["deliverables"],
            link("rectification:campaign-list", status="launched"),
            alert=True,
        ),
        card(
            "complaints-overdue",
            _("Replies past the deadline"),
            figures["replies"].totals["waiting_overdue"],
            link("supervision:complaint-list", status="assigned", overdue="true"),
            alert=True,
        ),
        card(
            "records-serious",
            _("Serious records this year"),
            figures["records_month"].totals["serious_this_year"],
            link(
                "domains:record-list",
                severity=Severity.SERIOUS,
                decided_from=date(today.year, 1, 1).isoformat(),
            ),
            alert=True,
        ),
    ]
    if warnings is not None:
        cards.append(
            card(
                "warnings-open",
                _("Open warnings"),
                warnings["total"],
                link("monitoring:warning-list", status="open"),
                alert=True,
                detail=_("%(new)s new · %(high)s high")
                % {"new": warnings.get("new", 0), "high": warnings.get("high", 0)},
            )
        )
    return cards
