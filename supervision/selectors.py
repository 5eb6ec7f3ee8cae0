"""Reads, and the per-agency figures the supervision score is computed from.

`agency_figures()` computes every figure for all agencies of a tenant in a fixed number of
queries (one aggregate per input table), whatever the number of agencies. FIGURES documents
each figure's code and exact definition; ARCHITECTURE.md prints the same list and scoring
indicators refer to the codes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Avg, Count, F, Q, QuerySet

from accounts.models import Agency

from .choices import FOUNDED, ComplaintStatus, EvaluationStatus, Satisfaction
from .models import (
    Complaint,
    DebtorListing,
    EvaluationScore,
    Judgment,
    JudicialSuggestion,
    LitigationCase,
    Proposal,
)

FIGURES: dict[str, str] = {
    "complaints_received": "complaints against the agency received in the period",
    "complaints_founded": "of those, verified founded or partly founded",
    "complaints_due": "complaints whose reply deadline falls in the period",
    "complaints_replied_on_time": "of those, replied by the agency on or before the deadline",
    "proposals_due": "NPC suggestions and CPPCC proposals whose reply deadline falls in the period",
    "proposals_replied_on_time": "of those, replied on or before the deadline",
    "proposals_rated": "items replied in the period that the deputy rated",
    "proposals_satisfied": "of those, rated satisfied or basically satisfied",
    "court_appearances_required": "administrative cases heard in the period where the head's "
    "appearance was required",
    "court_appearances_made": "of those, cases where the head appeared",
    "judgments_due": "judgments and arbitral awards to be performed in the period",
    "judgments_executed_on_time": "of those, performed on or before the due date",
    "suggestions_due": "judicial suggestions whose answer is due in the period",
    "suggestions_answered_on_time": "of those, answered on or before the due date",
    "debtor_listings_active": "dishonest-judgment-debtor listings active at the end of the period",
    "third_party_score": "average of the accepted third-party scores of assignments ending in "
    "the period (0-100; None when there is none)",
}


def _by_agency(queryset: QuerySet, **aggregates) -> dict[int, dict]:
    return {
        row.pop("agency_id"): row
        for row in queryset.values("agency_id").order_by().annotate(**aggregates)
    }


def agency_figures(*, tenant, start: date, end: date) -> dict[int, dict[str, object]]:
    """{agency id: {figure code: value}} for every agency of the tenant (active or not)."""
    in_period = {"tenant": tenant}
    tables = [
        _by_agency(
            Complaint.objects.filter(**in_period),
            complaints_received=Count("id", filter=Q(received_on__range=(start, end))),
            complaints_founded=Count(
                "id", filter=Q(received_on__range=(start, end), verification__in=FOUNDED)
            ),
            complaints_due=Count("id", filter=Q(reply_deadline__range=(start, end))),
            complaints_replied_on_time=Count(
                "id",
                # A reply the office sent back (assigned again) is no reply until the next one.
                filter=Q(
                    reply_deadline__range=(start, end), replied_at__date__lte=F("reply_deadline")
                )
                & ~Q(status__in=[ComplaintStatus.RECEIVED, ComplaintStatus.ASSIGNED]),
            ),
        ),
        _by_agency(
            Proposal.objects.filter(**in_period),
            proposals_due=Count("id", filter=Q(reply_deadline__range=(start, end))),
            proposals_replied_on_time=Count(
                "id",
                filter=Q(reply_deadline__range=(start, end), replied_on__lte=F("reply_deadline")),
            ),
            proposals_rated=Count(
                "id", filter=Q(replied_on__range=(start, end)) & ~Q(satisfaction="")
            ),
            proposals_satisfied=Count(
                "id",
                filter=Q(
                    replied_on__range=(start, end),
                    satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED],
                ),
            ),
        ),
        _by_agency(
            LitigationCase.objects.filter(**in_period),
            court_appearances_required=Count(
                "id", filter=Q(hearing_date__range=(start, end), head_appearance_required=True)
            ),
            court_appearances_made=Count(
                "id",
                filter=Q(
                    hearing_date__range=(start, end),
                    head_appearance_required=True,
                    head_appeared=True,
                ),
            ),
        ),
        _by_agency(
            Judgment.objects.filter(**in_period),
            judgments_due=Count("id", filter=Q(due_on__range=(start, end))),
            judgments_executed_on_time=Count(
                "id", filter=Q(due_on__range=(start, end), executed_on__lte=F("due_on"))
            ),
        ),
        _by_agency(
            JudicialSuggestion.objects.filter(**in_period),
            suggestions_due=Count("id", filter=Q(due_on__range=(start, end))),
            suggestions_answered_on_time=Count(
                "id", filter=Q(due_on__range=(start, end), answered_on__lte=F("due_on"))
            ),
        ),
        _by_agency(
            DebtorListing.objects.filter(**in_period),
            debtor_listings_active=Count(
                "id",
                filter=Q(listed_on__lte=end) & (Q(removed_on__isnull=True) | Q(removed_on__gt=end)),
            ),
        ),
        _by_agency(
            EvaluationScore.objects.filter(**in_period),
            third_party_score=Avg(
                "score",
                filter=Q(
                    status=EvaluationStatus.ACCEPTED, assignment__period_end__range=(start, end)
                ),
            ),
        ),
    ]
    figures = {}
    for agency_id in Agency.objects.filter(tenant=tenant).values_list("id", flat=True):
        values = {code: 0 for code in FIGURES}
        values["third_party_score"] = None
        for table in tables:
            values.update(table.get(agency_id, {}))
        score = values["third_party_score"]
        if score is not None:
            values["third_party_score"] = Decimal(score).quantize(Decimal("0.01"))
        figures[agency_id] = values
    return figures


def complaints_for_user(user) -> QuerySet:
    return Complaint.objects.for_user(user).select_related("agency", "domain")


def complaint_by_receipt(code: str) -> Complaint | None:
    """The complaint with this receipt code, or None: a wrong code reveals nothing."""
    from domains.rules import normalise_receipt_code

    code = normalise_receipt_code(code)
    if not code:
        return None
    return Complaint.objects.select_related("tenant").filter(receipt_code=code).first()


def complainant_for(user, complaint: Complaint) -> dict | None:
    """The complainant as this user may see it: the office sees who it is; the agency
    complained about, the city viewer and everyone else never do (None)."""
    from accounts.choices import OFFICE_ROLES, Role

    if user.role in OFFICE_ROLES or user.role == Role.PLATFORM_ADMIN:
        return {"name": complaint.complainant_name, "phone": complaint.complainant_phone}
    return None


def open_complaint_counts(user) -> dict[str, int]:
    rows = complaints_for_user(user).values("status").order_by().annotate(n=Count("id"))
    counts = {status: 0 for status in ComplaintStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts
