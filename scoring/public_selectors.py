"""Reads of the public credit page (公示): published snapshots only.

Nothing here touches a score run or its scores: the public sees exactly what an office admin
froze into a `Publication` (status published), or, for a withdrawn one, only that it was
withdrawn and why. Free text written by the office (ranking notices, withdrawal reasons) goes
through `domains.selectors.mask_text`, so an ID or mobile number typed into it is masked as on
every other public page.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal, InvalidOperation

from django.db.models import QuerySet

from accounts.choices import RankingGroup
from domains.selectors import mask_text

from .choices import PublicationStatus
from .models import Publication

CENT = Decimal("0.01")


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _points(value) -> Decimal:
    found = _decimal(value)
    return Decimal("0.00") if found is None else found


def _group_order(code: str) -> tuple[int, str]:
    values = list(RankingGroup.values)
    return (values.index(code) if code in values else len(values), code)


def _group_label(group: dict) -> str:
    """The label in the reader's language (the snapshot keeps the publisher's)."""
    return str(dict(RankingGroup.choices).get(group["group"], group.get("label") or group["group"]))


def _groups(snapshot: dict) -> list[dict]:
    return sorted(snapshot.get("groups", []), key=lambda g: _group_order(g["group"]))


# Publications ---------------------------------------------------------------------------------


def published(tenant) -> QuerySet:
    """The county's publications the public may read, newest period first."""
    return (
        Publication.objects.for_tenant(tenant)
        .filter(status=PublicationStatus.PUBLISHED)
        .order_by("-period_end", "-published_at", "-id")
    )


def listed(tenant) -> QuerySet:
    """Every publication of the county, withdrawn ones included (they are listed with their
    reason, never with their rankings). The snapshots are not loaded."""
    return (
        Publication.objects.for_tenant(tenant)
        .defer("snapshot")
        .order_by("-period_end", "-published_at", "-id")
    )


def latest(tenant) -> Publication | None:
    return published(tenant).first()


def withdrawals_after(tenant, period_end=None) -> list[Publication]:
    """Withdrawn publications the rankings page announces: those of a later period than the
    ranking it shows (all of them when it shows none)."""
    rows = (
        Publication.objects.for_tenant(tenant)
        .filter(status=PublicationStatus.WITHDRAWN)
        .defer("snapshot")
    )
    if period_end is not None:
        rows = rows.filter(period_end__gt=period_end)
    return list(rows.order_by("-period_end", "-withdrawn_at", "-id"))


def notice_text(publication: Publication) -> str:
    return mask_text(publication.notice or "", [])


def withdrawal_reason(publication: Publication) -> str:
    return mask_text(publication.withdrawal_reason or "", [])


# One ranking ----------------------------------------------------------------------------------


def _row(row: dict, categories: list[dict]) -> dict:
    total = _points(row.get("total"))
    previous_total = _decimal(row.get("previous_total"))
    previous_rank = row.get("previous_rank")
    rank_change = previous_rank - row["rank"] if previous_rank is not None else None
    return {
        "agency_id": row["agency_id"],
        "agency": row["agency"],
        "rank": row["rank"],
        "total": total,
        "grade": row.get("grade") or "",
        "previous_rank": previous_rank,
        # Positive: moved up (a smaller rank number) or gained points.
        "rank_change": rank_change,
        "rank_steps": abs(rank_change) if rank_change is not None else None,
        "total_change": total - previous_total if previous_total is not None else None,
        "categories": [_points(row.get("categories", {}).get(c["code"])) for c in categories],
    }


def ranking(publication: Publication) -> dict:
    """A published ranking for the page and its charts: per group the rows in rank order, the
    grade distribution, and the chart data (the same numbers as the tables)."""
    snapshot = publication.snapshot or {}
    categories = snapshot.get("categories", [])
    grade_labels = [str(g.get("label", "")) for g in snapshot.get("grades", [])]
    groups = []
    for group in _groups(snapshot):
        rows = [_row(r, categories) for r in group.get("rows", [])]
        rows.sort(key=lambda r: (r["rank"], r["agency"]))
        groups.append({"code": group["group"], "label": _group_label(group), "rows": rows})
    counts = {g["code"]: Counter(r["grade"] for r in g["rows"]) for g in groups}
    extra = sorted(
        {grade for c in counts.values() for grade in c if grade not in grade_labels}, key=str
    )
    labels = grade_labels + extra
    distribution = [
        {
            "grade": label or "—",
            "counts": [counts[g["code"]].get(label, 0) for g in groups],
            "total": sum(counts[g["code"]].get(label, 0) for g in groups),
        }
        for label in labels
    ]
    return {
        "publication": publication,
        "categories": categories,
        "groups": groups,
        "distribution": distribution,
        "charts": {
            "bars": [
                {
                    "title": g["label"],
                    "names": [r["agency"] for r in g["rows"]],
                    "values": [float(r["total"]) for r in g["rows"]],
                    "ranks": [r["rank"] for r in g["rows"]],
                }
                for g in groups
            ],
            "grades": {
                "labels": [d["grade"] for d in distribution],
                "series": [
                    {"name": g["label"], "values": [d["counts"][i] for d in distribution]}
                    for i, g in enumerate(groups)
                ],
            },
        },
    }


# Across periods -------------------------------------------------------------------------------


def _periods(tenant) -> list[Publication]:
    """Published publications, oldest period first."""
    return list(reversed(published(tenant)))


def trend(tenant) -> dict:
    """Average total per ranking group over the published periods, and every agency's totals
    (the chart lets the reader pick one)."""
    periods = _periods(tenant)
    group_codes: set[str] = set()
    labels: dict[str, str] = {}
    averages: list[dict[str, Decimal]] = []
    agencies: dict[int, dict] = {}
    for index, publication in enumerate(periods):
        averages.append({})
        for group in (publication.snapshot or {}).get("groups", []):
            code = group["group"]
            group_codes.add(code)
            labels[code] = _group_label(group)
            totals = [_points(r.get("total")) for r in group.get("rows", [])]
            if totals:
                averages[index][code] = (sum(totals) / len(totals)).quantize(CENT)
            for row in group.get("rows", []):
                entry = agencies.setdefault(
                    row["agency_id"], {"id": row["agency_id"], "values": [None] * len(periods)}
                )
                entry["name"] = row["agency"]  # the latest published name wins
                entry["values"][index] = float(_points(row.get("total")))
    codes = sorted(group_codes, key=_group_order)
    rows = [
        {"period": p.period_label, "publication": p, "averages": [a.get(c) for c in codes]}
        for p, a in zip(periods, averages, strict=True)
    ]
    return {
        "groups": [labels[c] for c in codes],
        "rows": rows,
        "chart": {
            "periods": [p.period_label for p in periods],
            "series": [
                {
                    "name": labels[c],
                    "values": [float(a[c]) if c in a else None for a in averages],
                }
                for c in codes
            ],
            "agencies": sorted(agencies.values(), key=lambda a: a["name"]),
        },
    }


def agency_history(tenant, agency_id: int, *, series_name: str = "") -> dict:
    """An agency's published scores, oldest period first, with its latest category breakdown."""
    history, latest_breakdown = [], []
    for publication in _periods(tenant):
        snapshot = publication.snapshot or {}
        for group in snapshot.get("groups", []):
            found = next((r for r in group.get("rows", []) if r["agency_id"] == agency_id), None)
            if found is None:
                continue
            categories = snapshot.get("categories", [])
            row = _row(found, categories)
            history.append(
                {
                    **row,
                    "period": publication.period_label,
                    "publication_id": publication.pk,
                    "group": _group_label(group),
                    "group_size": len(group.get("rows", [])),
                }
            )
            latest_breakdown = [
                {
                    "name": c.get("name", c["code"]),
                    "kind": c.get("kind", ""),
                    "max": _decimal(c.get("max")),
                    "points": points,
                }
                for c, points in zip(categories, row["categories"], strict=True)
            ]
            break
    return {
        "rows": history,
        "breakdown": latest_breakdown,
        "chart": {
            "periods": [h["period"] for h in history],
            "series": [{"name": series_name, "values": [float(h["total"]) for h in history]}],
            "ranks": [h["rank"] for h in history],
        },
    }
