"""Reads of supervision scoring for the office's pages and the agencies' own scores: the scheme
tree, the calculator documentation, ranking tables with the change against the previous period,
an agency's breakdown with the figures and the lists of records behind each indicator. Each
read is a fixed number of queries whatever the number of agencies."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.choices import RankingGroup
from integrity.permissions import has_perm

from .calculators import CALCULATORS, Calculator
from .choices import CategoryKind, Method, PublicationStatus, RunStatus
from .models import AgencyScore, Indicator, IndicatorScore, Publication, Scheme, ScoreRun


def figure_definitions() -> dict[str, str]:
    """Every figure code a calculator may read, with its definition (from the three apps)."""
    from domains.selectors import FIGURES as DOMAIN_FIGURES
    from rectification.selectors import FIGURES as CAMPAIGN_FIGURES
    from supervision.selectors import FIGURES as SUPERVISION_FIGURES

    return {**CAMPAIGN_FIGURES, **SUPERVISION_FIGURES, **DOMAIN_FIGURES}


def calculator_docs() -> list[dict]:
    definitions = figure_definitions()
    return [
        {
            "code": calc.code,
            "label": calc.label,
            "formula": calc.formula,
            "deduction": calc.deduction,
            "figures": [(code, definitions.get(code, "")) for code in calc.figures],
            "params": list(calc.params.items()),
        }
        for calc in CALCULATORS.values()
    ]


# Schemes --------------------------------------------------------------------------------------


def latest_scheme(tenant_id: int) -> Scheme | None:
    return Scheme.objects.filter(tenant_id=tenant_id).order_by("-end", "-id").first()


def next_period(scheme: Scheme | None, today: date) -> dict:
    """Initial period of a new scheme: the one after the latest scheme, else this year."""
    if scheme is None:
        return {"period_kind": "year", "year": today.year, "period_number": 1}
    limit = {"year": 1, "half": 2, "quarter": 4}.get(scheme.period_kind, 1)
    if scheme.period_number < limit:
        return {
            "period_kind": scheme.period_kind,
            "year": scheme.year,
            "period_number": scheme.period_number + 1,
        }
    return {"period_kind": scheme.period_kind, "year": scheme.year + 1, "period_number": 1}


@dataclass
class Node:
    indicator: Indicator
    calculator: Calculator | None = None
    items: list | None = None
    params: list | None = None  # [(name, value)] with the calculator's defaults filled in


def scheme_tree(scheme: Scheme) -> dict:
    """Categories → items, with the calculator of each computed item and the scheme's totals."""
    indicators = sorted(scheme.indicators.all(), key=lambda i: (i.position, i.pk))
    children = defaultdict(list)
    for indicator in indicators:
        if indicator.parent_id is not None:
            calculator = CALCULATORS.get(indicator.calculator)
            params = []
            if indicator.method == Method.COMPUTED and calculator is not None:
                params = [
                    (name, (indicator.params or {}).get(name, default))
                    for name, default in calculator.params.items()
                ]
            children[indicator.parent_id].append(Node(indicator, calculator, params=params))
    categories = [
        Node(indicator, items=children[indicator.pk])
        for indicator in indicators
        if indicator.parent_id is None
    ]

    def total(kind):
        return sum(
            (c.indicator.max_points for c in categories if c.indicator.category_kind == kind),
            Decimal(0),
        )

    return {
        "categories": categories,
        "regular_total": total(CategoryKind.REGULAR),
        "bonus_cap": total(CategoryKind.BONUS),
        "deduction_cap": total(CategoryKind.DEDUCTION),
    }


# Rankings -------------------------------------------------------------------------------------


def _decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def previous_results(run: ScoreRun) -> tuple[dict[int, dict], str]:
    """({agency id: {"total", "rank"}}, label of the period compared with). A published run
    compares with what its snapshot froze; otherwise the latest publication of an earlier
    period, else the latest finished run of an earlier scheme (not published)."""
    scheme = run.scheme
    publication = getattr(run, "publication", None)
    if publication is not None:
        previous = {}
        for group in publication.snapshot.get("groups", []):
            for row in group["rows"]:
                if row.get("previous_total") is not None:
                    previous[row["agency_id"]] = {
                        "total": _decimal(row["previous_total"]),
                        "rank": row.get("previous_rank"),
                    }
        source_pk = publication.snapshot.get("previous_publication")
        source = Publication.objects.filter(pk=source_pk).first() if source_pk else None
        return previous, source.period_label if source else ""
    earlier = (
        Publication.objects.filter(
            tenant_id=run.tenant_id,
            status=PublicationStatus.PUBLISHED,
            period_end__lt=scheme.start,
        )
        .order_by("-period_end", "-published_at")
        .first()
    )
    if earlier is not None:
        previous = {
            row["agency_id"]: {"total": _decimal(row["total"]), "rank": row["rank"]}
            for group in earlier.snapshot.get("groups", [])
            for row in group["rows"]
        }
        return previous, earlier.period_label
    earlier_run = (
        ScoreRun.objects.filter(
            tenant_id=run.tenant_id, status=RunStatus.SUCCEEDED, scheme__end__lt=scheme.start
        )
        .select_related("scheme")
        .order_by("-scheme__end", "-finished_at", "-id")
        .first()
    )
    if earlier_run is None:
        return {}, ""
    previous = {
        agency_id: {"total": total, "rank": rank}
        for agency_id, total, rank in AgencyScore.objects.filter(run=earlier_run).values_list(
            "agency_id", "total", "rank"
        )
    }
    return previous, _("%(scheme)s (run %(run)s, not published)") % {
        "scheme": earlier_run.scheme.name,
        "run": earlier_run.pk,
    }


def run_categories(run: ScoreRun) -> list[Indicator]:
    return list(run.scheme.indicators.filter(parent__isnull=True).order_by("position", "id"))


def run_ranking(run: ScoreRun) -> dict:
    """The ranking tables of a finished run: per ranking group, rows of rank, agency, total,
    grade, category subtotals and the change against the previous period."""
    categories = run_categories(run)
    subtotals = {
        (agency_id, indicator_id): points
        for agency_id, indicator_id, points in IndicatorScore.objects.filter(
            run=run, indicator__parent__isnull=True
        ).values_list("agency_id", "indicator_id", "points")
    }
    previous, compared_with = previous_results(run)
    groups: dict[str, list] = defaultdict(list)
    for score in (
        AgencyScore.objects.filter(run=run)
        .select_related("agency")
        .order_by("rank", "agency__name", "agency_id")
    ):
        before = previous.get(score.agency_id)
        row = {
            "score": score,
            "agency": score.agency,
            "rank": score.rank,
            "total": score.total,
            "grade": score.grade,
            "subtotals": [subtotals.get((score.agency_id, c.pk)) for c in categories],
            "previous_total": before["total"] if before else None,
            "previous_rank": before["rank"] if before else None,
            "delta": None,
            "rank_delta": None,
        }
        if before and before["total"] is not None:
            row["delta"] = score.total - before["total"]
        if before and before["rank"] is not None:
            row["rank_delta"] = before["rank"] - score.rank  # positive: moved up
        groups[score.ranking_group].append(row)
    labels = dict(RankingGroup.choices)
    order = [value for value, _label in RankingGroup.choices]
    ordered = sorted(groups, key=lambda g: (order.index(g) if g in order else len(order), g))
    return {
        "categories": categories,
        "groups": [
            {"group": group, "label": labels.get(group, group), "rows": groups[group]}
            for group in ordered
        ],
        "compared_with": compared_with,
    }


# An agency's breakdown ------------------------------------------------------------------------


def _records_links(calculator: str, agency_id: int, scheme: Scheme) -> list[tuple]:
    """(label, url name, action, query) of the lists behind a computed indicator, with the
    filters those lists accept (agency, period)."""
    start, end = scheme.start.isoformat(), scheme.end.isoformat()
    agency = {"agency": agency_id}
    ledger = (_("Ledger issues"), "rectification:issue-list", "ledger.view")
    complaints = (_("Complaints"), "supervision:complaint-list", "complaint.view")
    links = {
        "self_inspection_on_time": [
            (_("Campaigns"), "rectification:campaign-list", "campaign.view", {"year": scheme.year})
        ],
        "filings_on_time": [
            (_("Campaigns"), "rectification:campaign-list", "campaign.view", {"year": scheme.year})
        ],
        "issues_closed": [
            (*ledger, {**agency, "deadline_from": start, "deadline_to": end}),
        ],
        "milestones_on_time": [
            (_("Overdue milestones and issues"), "rectification:overdue", "ledger.view", agency)
        ],
        "arrears_cleared": [(*ledger, {**agency, "arrears": "true"})],
        "commitments_fulfilled": [
            (
                _("Commitments"),
                "domains:commitment-list",
                "commitment.view",
                {**agency, "promised_from": start, "promised_to": end},
            )
        ],
        "complaints_replied_on_time": [(*complaints, agency)],
        "founded_complaints": [
            (*complaints, {**agency, "received_from": start, "received_to": end}),
        ],
        "proposals_on_time": [
            (
                _("NPC suggestions and CPPCC proposals"),
                "supervision:proposal-list",
                "supervision.view",
                agency,
            )
        ],
        "proposals_satisfaction": [
            (
                _("NPC suggestions and CPPCC proposals"),
                "supervision:proposal-list",
                "supervision.view",
                agency,
            )
        ],
        "court_appearance": [
            (
                _("Administrative litigation cases"),
                "supervision:litigation-list",
                "supervision.view",
                {**agency, "date_from": start, "date_to": end},
            )
        ],
        "judgments_executed": [
            (
                _("Judgments and arbitral awards"),
                "supervision:judgment-list",
                "supervision.view",
                {**agency, "date_from": start, "date_to": end},
            )
        ],
        "suggestions_answered": [
            (_("Judicial suggestions"), "supervision:suggestion-list", "supervision.view", agency)
        ],
        "no_debtor_listing": [
            (
                _("Dishonest judgment debtor listings"),
                "supervision:listing-list",
                "supervision.view",
                {**agency, "active": "true"},
            )
        ],
        "third_party": [
            (
                _("Third-party evaluation"),
                "supervision:assignment-list",
                "evaluation.view",
                {"ends_from": start, "ends_to": end},
            )
        ],
        "records_by_severity": [
            (
                _("Failure-of-trust records"),
                "domains:record-list",
                "record.view",
                {**agency, "decided_from": start, "decided_to": end},
            )
        ],
    }
    return links.get(calculator, [])


def indicator_links(user, item: Indicator, agency_id: int, scheme: Scheme) -> list[dict]:
    if item.method != Method.COMPUTED:
        return []
    return [
        {"label": label, "url": f"{reverse(name)}?{urlencode(query)}"}
        for label, name, action, query in _records_links(item.calculator, agency_id, scheme)
        if has_perm(user, action)
    ]


def agency_breakdown(user, run: ScoreRun, agency_id: int) -> list[dict]:
    """Each category of the run's scheme with its subtotal, each item with its points, the
    figures they came from (with definitions) and links to the records behind them."""
    scheme = run.scheme
    definitions = figure_definitions()
    indicators = sorted(scheme.indicators.all(), key=lambda i: (i.position, i.pk))
    scores = {
        row.indicator_id: row for row in IndicatorScore.objects.filter(run=run, agency_id=agency_id)
    }
    children = defaultdict(list)
    for item in indicators:
        if item.parent_id is None:
            continue
        row = scores.get(item.pk)
        calculator = CALCULATORS.get(item.calculator) if item.method == Method.COMPUTED else None
        figures = []
        manual = None
        if row is not None and calculator is not None:
            figures = [
                {"code": code, "value": row.figures.get(code), "definition": definitions.get(code)}
                for code in calculator.figures
            ]
        elif row is not None:
            manual = row.figures
        children[item.parent_id].append(
            {
                "indicator": item,
                "points": row.points if row else None,
                "calculator": calculator,
                "figures": figures,
                "manual": manual,
                "links": indicator_links(user, item, agency_id, scheme),
            }
        )
    return [
        {
            "indicator": category,
            "points": scores[category.pk].points if category.pk in scores else None,
            "deduction": category.category_kind == CategoryKind.DEDUCTION,
            "items": children[category.pk],
        }
        for category in indicators
        if category.parent_id is None
    ]


# Agencies' own published scores ---------------------------------------------------------------


def published_for_agency(user):
    """The county's publications an agency may read (published, not withdrawn)."""
    return Publication.objects.for_user(user).filter(status=PublicationStatus.PUBLISHED)


def own_rows(publications, agency_id: int) -> list[tuple[Publication, dict | None]]:
    """Each publication with the agency's row of its snapshot (None if it was not ranked)."""
    result = []
    for publication in publications:
        mine = None
        for group in publication.snapshot.get("groups", []):
            for row in group["rows"]:
                if row["agency_id"] == agency_id:
                    mine = {**row, "group": group.get("label", group.get("group"))}
        result.append((publication, mine))
    return result
