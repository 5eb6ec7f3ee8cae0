"""Reads for credit records, requests, commitments and notices, including the public side."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from integrity.masking import mask_id_number, mask_name, mask_phone

from .choices import CommitmentStatus, NoticeStatus, RecordStatus, RequestKind, RequestStatus
from .models import CaseNotice, Commitment, CreditRequest, TrustRecord


def with_objection_flag(records: QuerySet) -> QuerySet:
    """Annotate `under_objection`: an objection against the record is pending."""
    pending = CreditRequest.objects.filter(
        record=OuterRef("pk"), kind=RequestKind.OBJECTION, status=RequestStatus.PENDING
    )
    return records.annotate(under_objection=Exists(pending))


def records_for_user(user) -> QuerySet:
    return with_objection_flag(
        TrustRecord.objects.for_user(user).select_related(
            "tenant", "agency", "domain", "problem_type"
        )
    )


def public_records(*, tenant=None, today: date | None = None) -> QuerySet:
    """Public only if marked public, on file (not revoked, repaired or expired), publicity not
    ended, and inside the publicity window: decided on or before today and before the maximum
    end. The dates are checked here, so expiry needs no job to run first."""
    today = today or timezone.localdate()
    records = TrustRecord.objects.filter(
        is_public=True,
        status=RecordStatus.ACTIVE,
        publicity_ended_on__isnull=True,
        decision_date__lte=today,
        publicity_max_end__gt=today,
    )
    if tenant is not None:
        records = records.filter(tenant=tenant)
    return with_objection_flag(records.select_related("tenant", "agency", "domain"))


@dataclass(frozen=True)
class PublicRecord:
    """What the public may see of a record: natural persons masked, no ID number."""

    public_id: str
    tenant: str
    subject_type: str
    subject_name: str
    subject_credit_code: str
    domain: str
    source: str
    severity: str
    facts: str
    decision_number: str
    deciding_authority: str
    decision_date: date
    publicity_max_end: date | None
    repair_from: date | None
    under_objection: bool


ID_RE = re.compile(r"\b\d{17}[\dXx]\b")
MOBILE_RE = re.compile(r"\b1[3-9]\d{9}\b")


def mask_text(text: str, names: list[str]) -> str:
    """Free text shown publicly: known personal names, ID numbers and mobile numbers masked."""
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    text = ID_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    return MOBILE_RE.sub(lambda m: mask_phone(m.group(0)), text)


def public_view(record: TrustRecord) -> PublicRecord:
    person = record.is_natural_person
    names = [record.subject_name] if person else []
    return PublicRecord(
        public_id=str(record.public_id),
        tenant=record.tenant.name,
        subject_type=record.get_subject_type_display(),
        subject_name=mask_name(record.subject_name) if person else record.subject_name,
        subject_credit_code="" if person else record.subject_credit_code,
        domain=record.domain.name if record.domain_id else "",
        source=record.get_source_display(),
        severity=record.get_severity_display(),
        facts=mask_text(record.facts, names),
        decision_number=record.decision_number,
        deciding_authority=record.deciding_authority,
        decision_date=record.decision_date,
        publicity_max_end=record.publicity_max_end,
        repair_from=record.publicity_min_end,
        under_objection=getattr(record, "under_objection", False),
    )


def published_notices(*, tenant=None) -> QuerySet:
    notices = CaseNotice.objects.filter(status=NoticeStatus.PUBLISHED)
    if tenant is not None:
        notices = notices.filter(tenant=tenant)
    return notices.select_related("tenant").prefetch_related("records")


def public_notice_text(notice: CaseNotice) -> str:
    names = [r.subject_name for r in notice.records.all() if r.is_natural_person]
    return mask_text(notice.body, names)


def public_commitments(*, tenant=None) -> QuerySet:
    commitments = Commitment.objects.filter(is_public=True, agency__is_active=True)
    if tenant is not None:
        commitments = commitments.filter(tenant=tenant)
    return commitments.select_related("agency")


def request_by_receipt(code: str) -> CreditRequest | None:
    """The request with this receipt code, or None; a wrong code reveals nothing."""
    from .rules import normalise_receipt_code

    code = normalise_receipt_code(code)
    if not code:
        return None
    return CreditRequest.objects.select_related("record", "record__tenant").filter(
        receipt_code=code).first()


def integrity_file(user, id_number: str) -> QuerySet:
    """A civil servant's integrity file (诚信档案): all records under this ID number."""
    return (
        TrustRecord.objects.for_user(user)
        .filter(person_id_number=id_number.strip().upper())
        .select_related("agency", "domain")
        .prefetch_related("measures")
        .order_by("-decision_date")
    )


def requests_for_user(user) -> QuerySet:
    return CreditRequest.objects.for_user(user).select_related("record")


def overdue_requests(user, today: date | None = None) -> QuerySet:
    today = today or timezone.localdate()
    return requests_for_user(user).filter(status=RequestStatus.PENDING, deadline__lt=today)


def commitments_for_user(user) -> QuerySet:
    return Commitment.objects.for_user(user).select_related("agency")


def open_commitments_due(user, today: date | None = None) -> QuerySet:
    today = today or timezone.localdate()
    return commitments_for_user(user).filter(
        Q(status=CommitmentStatus.IN_PROGRESS) & Q(promised_date__lt=today)
    )
