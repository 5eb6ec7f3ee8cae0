"""The city viewer's figures: the key figures compared across the counties below the city,
one row (or bar) per county, each linking to that county's list where the list has a
jurisdiction filter."""

from __future__ import annotations

from functools import cached_property

from django.db.models import Avg, Count, Max, Min
from django.utils.translation import gettext as _

from .base import (
    AMBER,
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    RED,
    DashboardBase,
    Figure,
    bar_chart,
    cell,
    link,
    money,
    rate,
    series,
)


class CountyFigures(DashboardBase):
    """One row per county below the city; each aggregate is grouped by tenant."""

    @cached_property
    def counties(self) -> list:
        from accounts.models import Tenant

        return list(
            Tenant.objects.for_user(self.user)
            .filter(parent_id=self.user.tenant_id)
            .order_by("division_code", "id")
        )

    @cached_property
    def county_issues(self) -> dict:
        return {
            row.pop("tenant_id"): row
            for row in self.issues.values("tenant_id").annotate(**self._issue_counts()).order_by()
        }

    def _by_county(self, table: dict, keys) -> list[dict]:
        return [{**dict.fromkeys(keys, 0), **table.get(c.pk, {})} for c in self.counties]

    def fig_county_work(self) -> Figure:
        """Open and overdue issues, overdue milestones and deliverables not filed, by county."""
        from rectification.choices import IssueStatus
        from rectification.selectors import overdue_milestones

        milestones = dict(
            overdue_milestones(self.user, self.today)
            .values_list("tenant_id")
            .annotate(Count("id"))
            .order_by()
        )
        participations, counts = self._participations()
        missing = {
            row.pop("tenant_id"): sum(row.values())
            for row in participations.values("tenant_id").annotate(**counts).order_by()
        }
        issues = self._by_county(self.county_issues, ("pending", "in_progress", "overdue"))
        ledger = "rectification:issue-list"
        columns = [
            ("pending", IssueStatus.PENDING.label, {"status": IssueStatus.PENDING}, AMBER, ledger),
            (
                "in_progress",
                IssueStatus.IN_PROGRESS.label,
                {"status": IssueStatus.IN_PROGRESS},
                BLUE,
                ledger,
            ),
            ("overdue", _("Overdue issues"), {"overdue": "true"}, RED, ledger),
            ("milestones", _("Overdue milestones"), {}, ORANGE, "rectification:overdue"),
            ("deliverables", _("Deliverables not filed"), None, GREY, None),
        ]
        values = [
            {
                **issues[i],
                "milestones": milestones.get(c.pk, 0),
                "deliverables": missing.get(c.pk, 0),
            }
            for i, c in enumerate(self.counties)
        ]
        urls = {
            key: [link(name, tenant=c.pk, **params) if name else "" for c in self.counties]
            for key, _label, params, _colour, name in columns
        }
        table = [
            [cell(c.name), *[cell(values[i][key], urls[key][i]) for key, *_r in columns]]
            for i, c in enumerate(self.counties)
        ]
        chart = bar_chart(
            [c.name for c in self.counties],
            [
                series(label, [v[key] for v in values], urls[key], color=colour)
                for key, label, _p, colour, _n in columns
            ],
        )
        return Figure(
            slug="county_work",
            title=_("Campaign work by county"),
            headers=[_("County"), *[str(label) for _k, label, *_r in columns]],
            rows=table,
            chart=chart,
            note=_(
                "Deliverables not filed: past their deadline and never submitted (running "
                "campaigns)."
            ),
        )

    def fig_county_arrears(self) -> Figure:
        rows = self._by_county(self.county_issues, ("arrears", "owed", "repaid"))
        for row in rows:
            row["owed"], row["repaid"] = money(row["owed"]), money(row["repaid"])
            row["outstanding"] = row["owed"] - row["repaid"]
        urls = [
            link("rectification:issue-list", tenant=c.pk, arrears="true") for c in self.counties
        ]
        table = [
            [
                cell(c.name),
                cell(rows[i]["arrears"], urls[i]),
                cell(rows[i]["owed"]),
                cell(rows[i]["repaid"]),
                cell(rows[i]["outstanding"]),
            ]
            for i, c in enumerate(self.counties)
        ]
        chart = bar_chart(
            [c.name for c in self.counties],
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
            money=True,
        )
        return Figure(
            slug="county_arrears",
            title=_("Arrears owed to enterprises, by county"),
            headers=[
                _("County"),
                _("Issues with arrears"),
                _("Owed (yuan)"),
                _("Repaid (yuan)"),
                _("Outstanding (yuan)"),
            ],
            rows=table,
            chart=chart,
        )

    def fig_county_warnings(self) -> Figure:
        """Open early warnings (new or acknowledged) by county and level."""
        from monitoring.choices import OPEN_WARNING_STATUSES, WarningSeverity
        from monitoring.forms import OPEN
        from monitoring.models import Warning

        counts = {
            (tenant_id, severity): n
            for tenant_id, severity, n in Warning.objects.for_user(self.user)
            .filter(status__in=OPEN_WARNING_STATUSES)
            .values("tenant_id", "severity")
            .annotate(n=Count("id"))
            .values_list("tenant_id", "severity", "n")
            .order_by()
        }
        levels = [
            (WarningSeverity.HIGH, RED),
            (WarningSeverity.MEDIUM, ORANGE),
            (WarningSeverity.LOW, AMBER),
        ]
        urls = {
            level: [
                link("monitoring:warning-list", tenant=c.pk, status=OPEN, severity=level)
                for c in self.counties
            ]
            for level, _colour in levels
        }
        totals = [link("monitoring:warning-list", tenant=c.pk, status=OPEN) for c in self.counties]
        table = [
            [
                cell(c.name),
                *[cell(counts.get((c.pk, level), 0), urls[level][i]) for level, _c in levels],
                cell(sum(counts.get((c.pk, level), 0) for level, _c in levels), totals[i]),
            ]
            for i, c in enumerate(self.counties)
        ]
        chart = bar_chart(
            [c.name for c in self.counties],
            [
                series(
                    level.label,
                    [counts.get((c.pk, level), 0) for c in self.counties],
                    urls[level],
                    stack="warnings",
                    color=colour,
                )
                for level, colour in levels
            ],
        )
        return Figure(
            slug="county_warnings",
            title=_("Open warnings by county"),
            headers=[_("County"), *[str(level.label) for level, _c in levels], _("Total")],
            rows=table,
            chart=chart,
        )

    def fig_county_complaints(self) -> Figure:
        from supervision.choices import ComplaintStatus
        from supervision.models import Complaint

        aggregates = self._complaint_aggregates()
        keys = ("on_time", "late", "waiting", "waiting_overdue")
        table = {
            row.pop("tenant_id"): row
            for row in Complaint.objects.for_user(self.user)
            .values("tenant_id")
            .annotate(**{k: aggregates[k] for k in keys})
            .order_by()
        }
        rows = self._by_county(table, keys)
        complaints, assigned = "supervision:complaint-list", ComplaintStatus.ASSIGNED
        columns = [
            ("on_time", _("Replied on time"), {}, GREEN),
            ("late", _("Replied late"), {}, AMBER),
            (
                "waiting",
                _("Awaiting the reply, within the deadline"),
                {"status": assigned, "overdue": "false"},
                BLUE,
            ),
            (
                "waiting_overdue",
                _("Awaiting the reply, past the deadline"),
                {"status": assigned, "overdue": "true"},
                RED,
            ),
        ]
        urls = {
            key: [link(complaints, tenant=c.pk, **params) if params else "" for c in self.counties]
            for key, _l, params, _c in columns
        }
        lines = []
        for i, c in enumerate(self.counties):
            r = rows[i]
            due = r["on_time"] + r["late"] + r["waiting_overdue"]
            lines.append(
                [
                    cell(c.name),
                    *[cell(r[key], urls[key][i]) for key, *_x in columns],
                    cell(rate(r["on_time"], due)),
                ]
            )
        chart = bar_chart(
            [c.name for c in self.counties],
            [
                series(label, [r[key] for r in rows], urls[key], stack="complaints", color=colour)
                for key, label, _p, colour in columns
            ],
        )
        return Figure(
            slug="county_complaints",
            title=_("Complaint replies by county"),
            headers=[_("County"), *[str(label) for _k, label, *_r in columns], _("On-time rate")],
            rows=lines,
            chart=chart,
        )

    def fig_county_records(self) -> Figure:
        from domains.choices import Severity

        table = {
            row.pop("tenant_id"): row
            for row in self.records.values("tenant_id")
            .annotate(**self._severity_counts())
            .order_by()
        }
        rows = self._by_county(table, Severity.values)
        urls = {
            s: [link("domains:record-list", tenant=c.pk, severity=s) for c in self.counties]
            for s in Severity.values
        }
        lines = [
            [
                cell(c.name),
                *[cell(rows[i][s], urls[s][i]) for s in Severity.values],
                cell(sum(rows[i][s] for s in Severity.values)),
            ]
            for i, c in enumerate(self.counties)
        ]
        return Figure(
            slug="county_records",
            title=_("Failure-of-trust records by county"),
            headers=[_("County"), *[str(label) for _s, label in Severity.choices], _("Total")],
            rows=lines,
            chart=bar_chart([c.name for c in self.counties], self._severity_series(rows, urls)),
        )

    def fig_county_scores(self) -> Figure:
        """Each county's latest finished score run: agencies scored, average, lowest, highest."""
        from scoring.choices import RunStatus
        from scoring.models import AgencyScore, ScoreRun

        runs = {
            run.tenant_id: run
            for run in ScoreRun.objects.for_user(self.user)
            .filter(status=RunStatus.SUCCEEDED, tenant_id__in=[c.pk for c in self.counties])
            .select_related("scheme")
            .order_by("tenant_id", "-scheme__end", "-finished_at", "-id")
            .distinct("tenant_id")
        }
        stats = {
            row.pop("run_id"): row
            for row in AgencyScore.objects.for_user(self.user)
            .filter(run_id__in=[r.pk for r in runs.values()])
            .values("run_id")
            .annotate(n=Count("id"), average=Avg("total"), low=Min("total"), high=Max("total"))
            .order_by()
        }
        lines, averages, urls = [], [], []
        for c in self.counties:
            run = runs.get(c.pk)
            s = stats.get(run.pk, {}) if run else {}
            url = link("scoring:run-detail", run.pk) if run else ""
            average = money(s["average"]) if s.get("average") is not None else None
            lines.append(
                [
                    cell(c.name),
                    cell(run.scheme.name if run else None),
                    cell(s.get("n", 0), url),
                    cell(average, url),
                    cell(money(s["low"]) if s.get("low") is not None else None),
                    cell(money(s["high"]) if s.get("high") is not None else None),
                ]
            )
            averages.append(average)
            urls.append(url)
        return Figure(
            slug="county_scores",
            title=_("Latest supervision scores by county"),
            headers=[
                _("County"),
                _("Scheme"),
                _("Agencies"),
                _("Average"),
                _("Lowest"),
                _("Highest"),
            ],
            rows=lines if runs else [],
            chart=bar_chart(
                [c.name for c in self.counties], [series(_("Average"), averages, urls, color=BLUE)]
            ),
        )
