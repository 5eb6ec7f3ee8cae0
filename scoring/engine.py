"""The score run: every agency of the county, every indicator of the scheme, in set-based
queries (each input table is aggregated once for all agencies: the query count does not grow
with the number of agencies), deterministic, and written in one transaction that first removes
the run's earlier results — a rerun replaces them, a failure leaves the previous state."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Agency
from integrity.bulk import delete_with_tombstones
from integrity.faults import fault_point

from .calculators import CALCULATORS, points
from .choices import CategoryKind, Method, RunStatus
from .models import AgencyScore, IndicatorScore, ManualEntry, ScoreRun


def period_figures(*, tenant, start, end) -> dict[int, dict]:
    """All figures of every agency of the tenant for the period, from the three input apps."""
    from domains.selectors import agency_figures as domain_figures
    from rectification.selectors import agency_figures as campaign_figures
    from supervision.selectors import agency_figures as supervision_figures

    merged: dict[int, dict] = defaultdict(dict)
    for source in (supervision_figures, domain_figures, campaign_figures):
        for agency_id, values in source(tenant=tenant, start=start, end=end).items():
            merged[agency_id].update(values)
    return merged


def competition_ranks(totals: list[tuple[int, Decimal]]) -> dict[int, int]:
    """Standard competition ranking (1, 2, 2, 4) of (agency id, total), highest first."""
    ordered = sorted(totals, key=lambda pair: (-pair[1], pair[0]))
    ranks, previous, rank = {}, None, 0
    for position, (agency_id, total) in enumerate(ordered, start=1):
        if total != previous:
            rank, previous = position, total
        ranks[agency_id] = rank
    return ranks


def grade_for(total: Decimal, grades: list[dict]) -> str:
    for grade in sorted(grades, key=lambda g: Decimal(str(g["min"])), reverse=True):
        if total >= Decimal(str(grade["min"])):
            return grade["label"]
    return ""


def _json(value):
    return str(value) if isinstance(value, Decimal) else value


def compute(run: ScoreRun) -> int:
    """Compute and store the run's results; returns the number of agencies scored."""
    scheme = run.scheme
    tenant_id = scheme.tenant_id
    indicators = list(scheme.indicators.all())
    categories = sorted(
        (i for i in indicators if i.parent_id is None), key=lambda i: (i.position, i.pk)
    )
    children = defaultdict(list)
    for indicator in indicators:
        if indicator.parent_id is not None:
            children[indicator.parent_id].append(indicator)
    for items in children.values():
        items.sort(key=lambda i: (i.position, i.pk))
    agencies = list(
        Agency.objects.filter(tenant_id=tenant_id, is_active=True).only("id", "ranking_group")
    )
    figures = period_figures(tenant=scheme.tenant, start=scheme.start, end=scheme.end)
    manual = {
        (entry.indicator_id, entry.agency_id): entry
        for entry in ManualEntry.objects.filter(indicator__scheme=scheme)
    }

    indicator_rows, totals = [], {}
    for agency in agencies:
        fig = figures.get(agency.pk, {})
        total = Decimal(0)
        for category in categories:
            subtotal = Decimal(0)
            for item in children[category.pk]:
                if item.method == Method.MANUAL:
                    entry = manual.get((item.pk, agency.pk))
                    if entry is not None:
                        value = entry.points
                    else:  # not entered: the item's documented default
                        full = (item.params or {}).get("default") == "full"
                        value = item.max_points if full else Decimal(0)
                    value = min(max(value, Decimal(0)), item.max_points)
                    used = {"entered": entry is not None, "reason": entry.reason if entry else ""}
                else:
                    calculator = CALCULATORS[item.calculator]
                    params = {**calculator.params, **(item.params or {})}
                    value = points(calculator.compute(fig, item.max_points, params))
                    used = {code: _json(fig.get(code)) for code in calculator.figures}
                value = points(value)
                subtotal += value
                indicator_rows.append(
                    IndicatorScore(
                        tenant_id=tenant_id,
                        agency_id=agency.pk,
                        indicator=item,
                        points=value,
                        figures=used,
                    )
                )
            subtotal = min(subtotal, category.max_points)
            signed = -subtotal if category.category_kind == CategoryKind.DEDUCTION else subtotal
            total += signed
            indicator_rows.append(
                IndicatorScore(
                    tenant_id=tenant_id,
                    agency_id=agency.pk,
                    indicator=category,
                    points=signed,
                    figures={},
                )
            )
        totals[agency.pk] = (agency.ranking_group, points(total))

    agency_rows = []
    groups = defaultdict(list)
    for agency_id, (group, total) in totals.items():
        groups[group].append((agency_id, total))
    for group, pairs in groups.items():
        ranks = competition_ranks(pairs)
        for agency_id, total in pairs:
            agency_rows.append(
                AgencyScore(
                    tenant_id=tenant_id,
                    agency_id=agency_id,
                    ranking_group=group,
                    total=total,
                    rank=ranks[agency_id],
                    grade=grade_for(total, scheme.grades or []),
                )
            )

    with transaction.atomic():
        locked = ScoreRun.objects.select_for_update().get(pk=run.pk)
        # Set-based (tombstones included): a rerun costs the same queries as a first run.
        delete_with_tombstones(IndicatorScore.objects.filter(run=locked))
        delete_with_tombstones(AgencyScore.objects.filter(run=locked))
        fault_point("score_run:after_delete")
        for row in indicator_rows:
            row.run = locked
        for row in agency_rows:
            row.run = locked
        IndicatorScore.objects.bulk_create(indicator_rows)
        fault_point("score_run:after_indicator_scores")
        AgencyScore.objects.bulk_create(agency_rows)
        locked.status = RunStatus.SUCCEEDED
        locked.error = ""
        locked.agencies = len(agency_rows)
        locked.finished_at = timezone.now()
        locked.computed_count += 1
        locked.save(update_fields=["status", "error", "agencies", "finished_at", "computed_count"])
    return len(agency_rows)
