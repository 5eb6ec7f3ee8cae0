"""Writes for complaints, NPC/CPPCC items, judicial supervision and third-party evaluation.
Atomic, validated with full_clean(), audited through the caller's context."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import Agency, Tenant, User
from domains import rules as domain_rules
from domains.services import record_create
from integrity.attachments import store_upload
from integrity.services import apply_changes

from .choices import FOUNDED, Channel, ComplaintStatus, EvaluationStatus
from .models import (
    Complaint,
    ComplaintAttachment,
    DebtorListing,
    EvaluationAssignment,
    EvaluationReport,
    EvaluationScore,
    Judgment,
    JudicialSuggestion,
    LitigationCase,
    Proposal,
)

# Petitions (信访) are answered within 15 days: the default reply deadline of a complaint.
DEFAULT_REPLY_DAYS = 15
# NPC suggestions and CPPCC proposals are answered within 3 months.
DEFAULT_PROPOSAL_MONTHS = 3


def _new_receipt_code() -> str:
    for _attempt in range(10):
        code = domain_rules.new_receipt_code()
        if not Complaint.objects.filter(receipt_code=code).exists():
            return code
    raise RuntimeError("could not draw a free receipt code")


# Complaints -------------------------------------------------------------------------------

COMPLAINT_FIELDS = (
    "channel",
    "source_reference",
    "agency",
    "domain",
    "title",
    "content",
    "amount",
    "occurred_on",
    "complainant_name",
    "complainant_phone",
    "received_on",
)


def _complaint(tenant: Tenant, data: dict, actor: User | None) -> Complaint:
    complaint = Complaint(tenant=tenant, created_by=actor, receipt_code=_new_receipt_code())
    apply_changes(complaint, {"received_on": timezone.localdate(), **data}, COMPLAINT_FIELDS)
    if complaint.domain_id and complaint.domain.tenant_id != tenant.pk:
        raise ValidationError({"domain": _("The domain belongs to another jurisdiction.")})
    complaint.full_clean()
    return complaint


@transaction.atomic
def complaint_submit(*, tenant: Tenant, data: dict, files=()) -> Complaint:
    """Filed by anyone on the public form (no account)."""
    complaint = _complaint(tenant, {**data, "channel": Channel.WEBSITE}, None)
    if not complaint.agency.is_active:
        raise ValidationError({"agency": _("Choose an agency of this jurisdiction.")})
    complaint.save()
    for uploaded in files:
        complaint_attach(complaint=complaint, uploaded=uploaded, actor=None)
    return complaint


@transaction.atomic
def complaint_log(*, tenant: Tenant, data: dict, actor: User) -> Complaint:
    """Logged by office staff: a hotline call, a letter or a visit."""
    if data.get("channel") == Channel.WEBSITE:
        raise ValidationError({"channel": _("Website complaints come through the public form.")})
    complaint = _complaint(tenant, data, actor)
    complaint.save()
    return complaint


@transaction.atomic
def complaints_import(*, tenant: Tenant, rows: list[dict], actor: User) -> int:
    """All or nothing: rows were validated by the caller; any error rolls everything back."""
    complaints = [_complaint(tenant, row, actor) for row in rows]
    try:
        with transaction.atomic():
            Complaint.objects.bulk_create(complaints)
    except IntegrityError:
        # Another import of the same tickets committed between validation and insert.
        raise ValidationError(
            _("Some hotline tickets of this file were imported meanwhile. Nothing was imported.")
        ) from None
    return len(complaints)


def complaint_attach(
    *, complaint: Complaint, uploaded, actor: User | None, from_agency: bool = False
) -> ComplaintAttachment:
    attachment = ComplaintAttachment(
        tenant_id=complaint.tenant_id, complaint=complaint, from_agency=from_agency
    )
    return store_upload(attachment, uploaded, actor=actor)


def _require(complaint: Complaint, *statuses: str) -> None:
    if complaint.status not in statuses:
        raise ValidationError(_("This step is not possible in the complaint's current status."))


@transaction.atomic
def complaint_assign(
    *,
    complaint: Complaint,
    actor: User,
    agency: Agency | None = None,
    reply_deadline: date | None = None,
) -> Complaint:
    """转办: to the agency, with a reply deadline (15 days by default)."""
    _require(complaint, ComplaintStatus.RECEIVED, ComplaintStatus.ASSIGNED)
    if agency is not None:
        if agency.tenant_id != complaint.tenant_id:
            raise ValidationError({"agency": _("The agency belongs to another jurisdiction.")})
        complaint.agency = agency
    today = timezone.localdate()
    deadline = reply_deadline or today + timedelta(days=DEFAULT_REPLY_DAYS)
    if deadline < today:
        raise ValidationError({"reply_deadline": _("The deadline cannot be in the past.")})
    complaint.reply_deadline = deadline
    complaint.status = ComplaintStatus.ASSIGNED
    complaint.assigned_at = timezone.now()
    complaint.is_overdue = False
    complaint.save()
    return complaint


@transaction.atomic
def complaint_reply(*, complaint: Complaint, reply: str, actor: User, files=()) -> Complaint:
    """The agency answers with its account of the facts and evidence."""
    _require(complaint, ComplaintStatus.ASSIGNED)
    if not reply.strip():
        raise ValidationError({"reply": _("Write the reply.")})
    complaint.agency_reply = reply
    complaint.replied_at = timezone.now()
    complaint.status = ComplaintStatus.REPLIED
    complaint.is_overdue = bool(
        complaint.reply_deadline and timezone.localdate() > complaint.reply_deadline
    )
    complaint.save()
    for uploaded in files:
        complaint_attach(complaint=complaint, uploaded=uploaded, actor=actor, from_agency=True)
    return complaint


@transaction.atomic
def complaint_send_back(
    *, complaint: Complaint, note: str, actor: User, reply_deadline: date | None = None
) -> Complaint:
    """The office returns an insufficient reply to the agency."""
    _require(complaint, ComplaintStatus.REPLIED)
    if not note.strip():
        raise ValidationError({"note": _("Say what is missing.")})
    complaint.verification_note = note
    complaint.status = ComplaintStatus.RECEIVED
    complaint.save()
    return complaint_assign(complaint=complaint, actor=actor, reply_deadline=reply_deadline)


@transaction.atomic
def complaint_verify(
    *, complaint: Complaint, verification: str, note: str, actor: User
) -> Complaint:
    """属实 / 部分属实 / 不属实, with the findings."""
    _require(complaint, ComplaintStatus.REPLIED, ComplaintStatus.RECEIVED)
    if not note.strip():
        raise ValidationError({"note": _("Write the findings.")})
    complaint.verification = verification
    complaint.verification_note = note
    complaint.verified_at = timezone.now()
    complaint.status = ComplaintStatus.VERIFIED
    complaint.full_clean()
    complaint.save()
    return complaint


@transaction.atomic
def complaint_close(*, complaint: Complaint, public_reply: str, actor: User) -> Complaint:
    """办结, with the reply the complainant reads with the receipt code."""
    _require(complaint, ComplaintStatus.VERIFIED)
    if not public_reply.strip():
        raise ValidationError({"public_reply": _("Write the reply to the complainant.")})
    complaint.public_reply = public_reply
    complaint.closed_at = timezone.now()
    complaint.status = ComplaintStatus.CLOSED
    complaint.save()
    return complaint


def complaint_record_initial(complaint: Complaint) -> dict:
    """Values that pre-fill the failure-of-trust record of a founded complaint."""
    return {
        "subject_type": "agency",
        "agency": complaint.agency,
        "domain": complaint.domain,
        "source": "complaint",
        "facts": complaint.verification_note or complaint.content,
    }


@transaction.atomic
def complaint_convert_to_record(*, complaint: Complaint, data: dict, actor: User):
    """One action: a founded complaint becomes a failure-of-trust record, linked both ways."""
    if complaint.verification not in FOUNDED:
        raise ValidationError(_("Only a founded or partly founded complaint becomes a record."))
    if complaint.trust_record_id:
        raise ValidationError(_("This complaint already has a record."))
    record = record_create(tenant=complaint.tenant, data=data, actor=actor)
    complaint.trust_record = record
    complaint.save(update_fields=["trust_record", "updated_at"])
    return record


def complaints_flag_overdue(*, today: date | None = None) -> int:
    """Daily: complaints past their reply deadline without a reply are flagged overdue."""
    today = today or timezone.localdate()
    return Complaint.objects.filter(
        status=ComplaintStatus.ASSIGNED, reply_deadline__lt=today, is_overdue=False
    ).update(is_overdue=True, updated_at=timezone.now())


# NPC/CPPCC items and judicial supervision ------------------------------------------------

ITEM_FIELDS = {
    Proposal: (
        "agency",
        "kind",
        "number",
        "title",
        "assigned_on",
        "reply_deadline",
        "replied_on",
        "satisfaction",
        "note",
    ),
    LitigationCase: (
        "agency",
        "case_number",
        "court",
        "cause",
        "hearing_date",
        "head_appearance_required",
        "head_appeared",
        "note",
    ),
    Judgment: (
        "agency",
        "kind",
        "case_number",
        "authority",
        "effective_on",
        "due_on",
        "executed_on",
        "amount",
        "note",
    ),
    JudicialSuggestion: (
        "agency",
        "number",
        "court",
        "received_on",
        "due_on",
        "answered_on",
        "content",
    ),
    DebtorListing: ("agency", "case_number", "court", "listed_on", "removed_on", "amount"),
}


@transaction.atomic
def item_save(*, model, tenant: Tenant, data: dict, actor: User, item=None):
    """Create or update a proposal, litigation case, judgment, judicial suggestion or listing."""
    data = dict(data)
    if model is Proposal and data.get("assigned_on") and not data.get("reply_deadline"):
        data["reply_deadline"] = domain_rules.add_months(
            data["assigned_on"], DEFAULT_PROPOSAL_MONTHS
        )
    item = item or model(tenant=tenant)
    changed = apply_changes(item, data, ITEM_FIELDS[model])
    item.full_clean()
    if item.pk is None:
        item.save()
    elif changed:
        item.save(update_fields=changed)
    return item


@transaction.atomic
def item_delete(*, item, actor: User) -> None:
    item.delete()


# Third-party evaluation -------------------------------------------------------------------


@transaction.atomic
def assignment_save(
    *, tenant: Tenant, data: dict, actor: User, assignment: EvaluationAssignment | None = None
) -> EvaluationAssignment:
    assignment = assignment or EvaluationAssignment(tenant=tenant)
    apply_changes(assignment, data, ("evaluator", "title", "period_start", "period_end"))
    if assignment.evaluator_id and (
        assignment.evaluator.role != Role.EVALUATOR or assignment.evaluator.tenant_id != tenant.pk
    ):
        raise ValidationError(
            {"evaluator": _("Choose a third-party evaluator of this jurisdiction.")}
        )
    assignment.full_clean()
    assignment.save()
    if "agencies" in data:
        agencies = list(data["agencies"])
        if not agencies:
            raise ValidationError({"agencies": _("Choose at least one agency.")})
        if any(a.tenant_id != tenant.pk for a in agencies):
            raise ValidationError({"agencies": _("Choose agencies of this jurisdiction.")})
        assignment.agencies.set(agencies)
    return assignment


@transaction.atomic
def score_submit(
    *,
    assignment: EvaluationAssignment,
    agency: Agency,
    score,
    comments: str,
    actor: User,
    report=None,
) -> EvaluationScore:
    """The evaluator scores an agency it was assigned; resubmitting replaces a rejected or
    pending score (an accepted one is final)."""
    if actor.pk != assignment.evaluator_id:
        raise ValidationError(_("Only the assigned evaluator scores this assignment."))
    if not assignment.agencies.filter(pk=agency.pk).exists():
        raise ValidationError({"agency": _("This agency is not part of the assignment.")})
    existing = EvaluationScore.objects.filter(assignment=assignment, agency=agency).first()
    if existing and existing.status == EvaluationStatus.ACCEPTED:
        raise ValidationError(_("The office has accepted this score; it can no longer change."))
    item = existing or EvaluationScore(
        tenant_id=assignment.tenant_id, assignment=assignment, agency=agency
    )
    item.score = score
    item.comments = comments
    item.status = EvaluationStatus.SUBMITTED
    item.rejection_reason = ""
    item.full_clean()
    item.save()
    if report is not None:
        store_upload(EvaluationReport(tenant_id=item.tenant_id, score=item), report, actor=actor)
    return item


@transaction.atomic
def score_decide(
    *, score: EvaluationScore, accept: bool, reason: str, actor: User
) -> EvaluationScore:
    """The office accepts a score or rejects it with a reason."""
    if score.status != EvaluationStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted score can be decided."))
    if not accept and not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the rejection.")})
    score.status = EvaluationStatus.ACCEPTED if accept else EvaluationStatus.REJECTED
    score.rejection_reason = "" if accept else reason
    score.decided_by = actor
    score.save(update_fields=["status", "rejection_reason", "decided_by"])
    return score


# Third-party evaluation: editing an assignment (area: items and evaluation, helper h10) -----


@transaction.atomic
def assignment_update(
    *, assignment: EvaluationAssignment, data: dict, actor: User
) -> EvaluationAssignment:
    """Edit an assignment without orphaning what was scored: once a score exists the evaluator
    stays the same, and an agency that has a score stays assigned."""
    scored = set(
        EvaluationScore.objects.filter(assignment=assignment).values_list("agency_id", flat=True)
    )
    if scored:
        evaluator = data.get("evaluator")
        if evaluator is not None and evaluator.pk != assignment.evaluator_id:
            raise ValidationError(
                {"evaluator": _("The evaluator has already scored: it cannot be replaced.")}
            )
        if "agencies" in data and not scored <= {agency.pk for agency in data["agencies"]}:
            raise ValidationError(
                {"agencies": _("Agencies that have a score stay in the assignment.")}
            )
    return assignment_save(tenant=assignment.tenant, data=data, actor=actor, assignment=assignment)
