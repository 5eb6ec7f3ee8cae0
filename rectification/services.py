"""Writes of campaign work. Each service is atomic, validates with full_clean() and runs inside
the caller's audit context (request middleware, command or task). Who may call which service is
the permission matrix's business (integrity/permissions.py); which rows, tenancy's. Services
check the state a transition starts from and say in Chinese why it cannot happen.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import Agency, User
from accounts.selectors import agency_users, office_users
from accounts.services import notify
from accounts.validators import normalize_credit_code
from domains.choices import FieldType
from domains.models import DomainField
from integrity.attachments import store_upload
from integrity.richtext import clean_html, is_blank
from integrity.services import apply_changes, save_changes

from . import selectors
from .choices import (
    EDITABLE_FILING_STATUSES,
    FILING_SECTIONS,
    CampaignStatus,
    DuplicateReason,
    FilingKind,
    FilingStatus,
    FlagStatus,
    IssueSource,
    IssueStatus,
    MilestoneStatus,
    ProjectStatus,
    VersionOutcome,
)
from .models import (
    Campaign,
    CampaignDomain,
    DuplicateFlag,
    Evidence,
    Filing,
    FilingVersion,
    InvestmentProject,
    LedgerIssue,
    Milestone,
    MilestoneUpdate,
    Participation,
    Repayment,
)

CAMPAIGN_FIELDS = (
    "title",
    "document_number",
    "year",
    "description",
    "report_deadline",
    "plan_deadline",
    "completion_deadline",
)
ISSUE_FIELDS = (
    "domain",
    "problem_type",
    "subject_name",
    "subject_credit_code",
    "description",
    "responsible_person",
    "cause",
    "handling_opinion",
    "source",
    "discovered_on",
    "deadline",
    "status",
    "extra",
    "creditor_name",
    "creditor_credit_code",
    "creditor_is_sme",
    "contract",
    "accepted_on",
    "payment_term_days",
    "amount_owed",
    "daily_interest_rate",
)
MILESTONE_FIELDS = ("title", "due_on", "owner")
PROJECT_FIELDS = (
    "name",
    "investor_name",
    "investor_credit_code",
    "signed_on",
    "amount",
    "industry",
    "location",
    "commitments",
    "status",
)


# Campaigns ------------------------------------------------------------------------------------


def _check_members(tenant, domains, agencies) -> None:
    errors = {}
    if not domains:
        errors["domains"] = _("Choose at least one key domain.")
    elif any(d.tenant_id != tenant.pk for d in domains):
        errors["domains"] = _("A key domain belongs to another jurisdiction.")
    if not agencies:
        errors["agencies"] = _("Choose at least one participating agency.")
    elif any(a.tenant_id != tenant.pk for a in agencies):
        errors["agencies"] = _("An agency belongs to another jurisdiction.")
    elif any(not a.is_active for a in agencies):
        errors["agencies"] = _("An inactive agency cannot take part in a campaign.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def campaign_save(*, tenant, data: dict, actor: User, campaign: Campaign | None = None) -> Campaign:
    """Create a campaign (a draft) or change one. After launch, agencies may be added (they are
    notified) but not removed once they have filed anything, and domains with ledger entries
    stay in scope."""
    created = campaign is None
    if created:
        campaign = Campaign(tenant=tenant, created_by=actor)
    elif campaign.status == CampaignStatus.CLOSED:
        raise ValidationError(_("A closed campaign can no longer be changed."))
    domains = list(data.get("domains", campaign.domains.all() if not created else []))
    agencies = list(data.get("agencies", campaign.agencies.all() if not created else []))
    _check_members(tenant, domains, agencies)
    changed = apply_changes(campaign, data, CAMPAIGN_FIELDS)
    save_changes(campaign, changed, created=created)

    wanted_domains = {d.pk for d in domains}
    current_domains = set(
        CampaignDomain.objects.filter(campaign=campaign).values_list("domain_id", flat=True)
    )
    dropped = current_domains - wanted_domains
    if dropped and LedgerIssue.objects.filter(campaign=campaign, domain_id__in=dropped).exists():
        raise ValidationError(
            {"domains": _("A key domain with ledger entries cannot leave the campaign.")}
        )
    CampaignDomain.objects.filter(campaign=campaign, domain_id__in=dropped).delete()
    CampaignDomain.objects.bulk_create(
        [CampaignDomain(campaign=campaign, domain_id=pk) for pk in wanted_domains - current_domains]
    )

    wanted = {a.pk for a in agencies}
    current = set(
        Participation.objects.filter(campaign=campaign).values_list("agency_id", flat=True)
    )
    leaving = current - wanted
    if leaving and (
        LedgerIssue.objects.filter(campaign=campaign, agency_id__in=leaving).exists()
        or Filing.objects.filter(campaign=campaign, agency_id__in=leaving).exists()
        or Milestone.objects.filter(campaign=campaign, agency_id__in=leaving).exists()
    ):
        raise ValidationError(
            {"agencies": _("An agency that has already filed cannot leave the campaign.")}
        )
    Participation.objects.filter(campaign=campaign, agency_id__in=leaving).delete()
    joined = Participation.objects.bulk_create(
        [
            Participation(tenant=tenant, campaign=campaign, agency_id=pk)
            for pk in sorted(wanted - current)
        ]
    )
    if campaign.status == CampaignStatus.LAUNCHED and joined:
        _notify_participants(campaign, [p.pk for p in joined])
    return campaign


def _notify_participants(campaign: Campaign, participation_ids) -> None:
    participations = Participation.objects.filter(pk__in=participation_ids)
    agency_ids = list(participations.values_list("agency_id", flat=True))
    users = agency_users(agency_ids)
    body = _(
        "The credit office launched the campaign %(title)s (%(number)s). Self-inspection report "
        "due by %(report)s, rectification plan by %(plan)s, rectification completed by "
        "%(completion)s."
    ) % {
        "title": campaign.title,
        "number": campaign.document_number or "—",
        "report": campaign.report_deadline,
        "plan": campaign.plan_deadline,
        "completion": campaign.completion_deadline,
    }
    notify(
        users,
        title=_("New campaign: %(title)s") % {"title": campaign.title},
        body=body,
        url=reverse("rectification:campaign-detail", args=[campaign.pk]),
    )
    participations.update(notified_at=timezone.now())


@transaction.atomic
def campaign_launch(*, campaign: Campaign, actor: User) -> Campaign:
    """Draft → launched: every participating agency's clerks and leaders are notified."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError(_("Only a draft campaign can be launched."))
    _check_members(campaign.tenant, list(campaign.domains.all()), list(campaign.agencies.all()))
    campaign.status = CampaignStatus.LAUNCHED
    campaign.launched_at = timezone.now()
    campaign.save(update_fields=["status", "launched_at", "updated_at"])
    _notify_participants(campaign, list(campaign.participations.values_list("pk", flat=True)))
    return campaign


@transaction.atomic
def campaign_close(*, campaign: Campaign, actor: User) -> Campaign:
    """Launched → closed: nothing more is filed; the records stay readable."""
    if campaign.status != CampaignStatus.LAUNCHED:
        raise ValidationError(_("Only a launched campaign can be closed."))
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = timezone.now()
    campaign.save(update_fields=["status", "closed_at", "updated_at"])
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: Campaign, actor: User) -> None:
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError(_("Only a draft campaign can be deleted."))
    campaign.delete()


def _require_open(campaign: Campaign) -> None:
    if campaign.status != CampaignStatus.LAUNCHED:
        raise ValidationError(_("The campaign is not running: nothing can be filed."))


def _participation(campaign: Campaign, agency: Agency, *, lock: bool = False) -> Participation:
    qs = Participation.objects.filter(campaign=campaign, agency=agency)
    if lock:
        qs = qs.select_for_update()
    participation = qs.first()
    if participation is None:
        raise ValidationError(_("The agency does not take part in this campaign."))
    return participation


# Ledger ---------------------------------------------------------------------------------------


def extra_values_clean(fields: list[DomainField], raw: dict) -> dict:
    """Check the domain's extra field values (raw text or typed values) and return them as
    JSON: numbers and money as strings of Decimals, dates as ISO dates. Errors are keyed by the
    field's key."""
    from django.utils.dateparse import parse_date

    cleaned, errors = {}, {}
    for field in fields:
        value = raw.get(field.key)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            if field.required:
                errors[field.key] = _("%(label)s is required.") % {"label": field.label}
            continue
        try:
            if field.field_type in (FieldType.NUMBER, FieldType.MONEY):
                number = Decimal(str(value).replace(",", ""))
                if not number.is_finite():
                    raise InvalidOperation
                if field.field_type == FieldType.MONEY:
                    if number < 0 or number != number.quantize(Decimal("0.01")):
                        raise ValidationError(
                            _("Enter an amount in yuan with at most two decimals.")
                        )
                    number = number.quantize(Decimal("0.01"))
                cleaned[field.key] = str(number)
            elif field.field_type == FieldType.DATE:
                day = value if isinstance(value, date) else parse_date(str(value)[:10])
                if day is None:
                    raise ValidationError(_("Enter a date such as 2026-03-15."))
                cleaned[field.key] = (day.date() if hasattr(day, "date") else day).isoformat()
            elif field.field_type == FieldType.CHOICE:
                if str(value) not in field.choices:
                    raise ValidationError(
                        _("Choose one of: %(options)s.") % {"options": "、".join(field.choices)}
                    )
                cleaned[field.key] = str(value)
            elif field.field_type == FieldType.CREDIT_CODE:
                from accounts.validators import validate_credit_code

                code = normalize_credit_code(str(value))
                validate_credit_code(code)
                cleaned[field.key] = code
            else:
                text = str(value)
                if len(text) > 500:
                    raise ValidationError(_("At most 500 characters."))
                cleaned[field.key] = text
        except (InvalidOperation, ValueError):
            errors[field.key] = _("Enter a number.")
        except ValidationError as exc:
            errors[field.key] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _prepare_issue(issue: LedgerIssue, data: dict) -> list[str]:
    data = dict(data)
    for key in ("subject_credit_code", "creditor_credit_code"):
        if data.get(key):
            data[key] = normalize_credit_code(data[key])
    domain = data.get("domain", issue.domain if issue.domain_id else None)
    domain_changed = domain is not None and domain.pk != issue.domain_id
    if domain is not None and ("extra" in data or domain_changed or issue.pk is None):
        # The values are checked against the (new) domain's fields; a new issue must fill the
        # required ones even when the caller sent none.
        data["extra"] = extra_values_clean(
            list(domain.fields.all()), data.get("extra", issue.extra) or {}
        )
    return apply_changes(issue, data, ISSUE_FIELDS)


def _check_issue_scope(issue: LedgerIssue) -> None:
    campaign = issue.campaign
    errors = {}
    if (
        issue.domain_id
        and not CampaignDomain.objects.filter(campaign=campaign, domain_id=issue.domain_id).exists()
    ):
        errors["domain"] = _("The key domain is not in the campaign's scope.")
    if issue.problem_type_id and issue.problem_type.tenant_id != issue.tenant_id:
        errors["problem_type"] = _("The problem type belongs to another jurisdiction.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def issue_create(*, campaign: Campaign, agency: Agency, data: dict, actor: User) -> LedgerIssue:
    _require_open(campaign)
    participation = _participation(campaign, agency, lock=True)
    if data.get("status") == IssueStatus.CLOSED:
        raise ValidationError({"status": _("Only the credit office closes an issue.")})
    issue = LedgerIssue(
        tenant_id=campaign.tenant_id,
        campaign=campaign,
        agency=agency,
        created_by=actor,
        deadline=campaign.completion_deadline,
    )
    _prepare_issue(issue, data)
    if issue.status == IssueStatus.RECTIFIED:
        issue.rectified_on = timezone.localdate()
    participation.last_issue_number += 1
    issue.number = participation.last_issue_number
    _check_issue_scope(issue)
    issue.full_clean()
    issue.save()
    participation.save(update_fields=["last_issue_number"])
    return issue


@transaction.atomic
def issue_update(*, issue: LedgerIssue, data: dict, actor: User) -> LedgerIssue:
    issue = LedgerIssue.objects.select_for_update().get(pk=issue.pk)
    _require_open(issue.campaign)
    if issue.status == IssueStatus.CLOSED:
        raise ValidationError(_("A closed issue can no longer be changed."))
    if data.get("status") == IssueStatus.CLOSED:
        raise ValidationError({"status": _("Only the credit office closes an issue.")})
    changed = _prepare_issue(issue, data)
    if "status" in changed and issue.status == IssueStatus.RECTIFIED and not issue.rectified_on:
        issue.rectified_on = timezone.localdate()
        changed.append("rectified_on")
    _check_issue_scope(issue)
    save_changes(issue, changed, created=False)
    return issue


@transaction.atomic
def issue_delete(*, issue: LedgerIssue, actor: User) -> None:
    """A clerk removes an entry made by mistake: only while nothing has happened to it."""
    if issue.status != IssueStatus.PENDING or issue.repayments.exists():
        raise ValidationError(
            _("Only an issue still to be rectified, without repayments, can be deleted.")
        )
    issue.delete()


@transaction.atomic
def issue_report_rectified(
    *, issue: LedgerIssue, note: str, rectified_on: date | None, actor: User, files=()
) -> LedgerIssue:
    """The agency reports an issue rectified, with what was done and evidence."""
    issue = LedgerIssue.objects.select_for_update().get(pk=issue.pk)
    _require_open(issue.campaign)
    if issue.status not in (IssueStatus.PENDING, IssueStatus.IN_PROGRESS):
        raise ValidationError(_("Only an open issue can be reported rectified."))
    if not (note or "").strip():
        raise ValidationError({"note": _("Say what was done.")})
    issue.status = IssueStatus.RECTIFIED
    issue.rectification_note = note.strip()
    issue.rectified_on = rectified_on or timezone.localdate()
    if issue.rectified_on > timezone.localdate():
        raise ValidationError({"rectified_on": _("The date is in the future.")})
    issue.save(update_fields=["status", "rectification_note", "rectified_on", "updated_at"])
    for uploaded in files:
        evidence_add(parent=issue, uploaded=uploaded, actor=actor)
    return issue


@transaction.atomic
def issue_verify(*, issue: LedgerIssue, close: bool, note: str, actor: User) -> LedgerIssue:
    """The office verifies a rectified issue: closes it (销号) or sends it back with a note."""
    issue = LedgerIssue.objects.select_for_update().get(pk=issue.pk)
    if issue.status != IssueStatus.RECTIFIED:
        raise ValidationError(_("Only an issue reported rectified can be verified."))
    note = (note or "").strip()
    if not close and not note:
        raise ValidationError({"note": _("Say why the issue is sent back.")})
    issue.verification_note = note
    if close:
        issue.status = IssueStatus.CLOSED
        issue.closed_at = timezone.now()
        issue.closed_by = actor
        title = _("Issue %(number)s closed") % {"number": issue.number}
    else:
        issue.status = IssueStatus.IN_PROGRESS
        title = _("Issue %(number)s sent back") % {"number": issue.number}
    issue.save(
        update_fields=["status", "verification_note", "closed_at", "closed_by", "updated_at"]
    )
    notify(
        agency_users([issue.agency_id]),
        title=title,
        body=f"{issue.subject_name}: {note}" if note else issue.subject_name,
        url=reverse("rectification:issue-detail", args=[issue.pk]),
    )
    return issue


def _refresh_repaid(issue: LedgerIssue) -> None:
    total = issue.repayments.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    issue.amount_repaid = total
    if issue.amount_owed is not None and total > issue.amount_owed:
        raise ValidationError({"amount": _("Repayments would exceed the amount owed.")})
    issue.save(update_fields=["amount_repaid", "updated_at"])


@transaction.atomic
def repayment_add(*, issue: LedgerIssue, data: dict, actor: User) -> Repayment:
    issue = LedgerIssue.objects.select_for_update().get(pk=issue.pk)
    if issue.amount_owed is None:
        raise ValidationError(_("This issue records no arrears."))
    if issue.status == IssueStatus.CLOSED:
        raise ValidationError(_("A closed issue can no longer be changed."))
    repayment = Repayment(
        tenant_id=issue.tenant_id,
        issue=issue,
        paid_on=data.get("paid_on"),
        amount=data.get("amount"),
        note=(data.get("note") or "").strip(),
        created_by=actor,
    )
    repayment.full_clean()
    if repayment.paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("The date is in the future.")})
    if repayment.amount <= 0:
        raise ValidationError({"amount": _("Enter an amount above zero.")})
    repayment.save()
    _refresh_repaid(issue)
    return repayment


@transaction.atomic
def repayment_delete(*, repayment: Repayment, actor: User) -> None:
    issue = LedgerIssue.objects.select_for_update().get(pk=repayment.issue_id)
    if issue.status == IssueStatus.CLOSED:
        raise ValidationError(_("A closed issue can no longer be changed."))
    repayment.delete()
    _refresh_repaid(issue)


def issue_from_complaint_initial(complaint) -> dict:
    """What a ledger issue made from a founded complaint starts with."""
    return {
        "domain": complaint.domain,
        "subject_name": complaint.agency.name,
        "subject_credit_code": complaint.agency.credit_code,
        "description": f"{complaint.title}\n{complaint.content}",
        "source": IssueSource.COMPLAINT,
        "discovered_on": timezone.localdate(complaint.verified_at)
        if complaint.verified_at
        else complaint.received_on,
        "handling_opinion": complaint.verification_note,
    }


@transaction.atomic
def issue_from_complaint(*, complaint, campaign: Campaign, data: dict, actor: User) -> LedgerIssue:
    """A founded complaint becomes an issue in the ledger of the agency complained about (M10),
    linked both ways (`LedgerIssue.source_complaint`, `Complaint.ledger_issue`)."""
    from supervision.choices import FOUNDED
    from supervision.models import Complaint

    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.verification not in FOUNDED:
        raise ValidationError(_("Only a complaint verified as founded becomes a ledger issue."))
    if LedgerIssue.objects.filter(source_complaint=complaint).exists():
        raise ValidationError(_("This complaint is already in a ledger."))
    if campaign.tenant_id != complaint.tenant_id:
        raise ValidationError({"campaign": _("The campaign belongs to another jurisdiction.")})
    issue = issue_create(
        campaign=campaign,
        agency=complaint.agency,
        data={**data, "source": IssueSource.COMPLAINT},
        actor=actor,
    )
    issue.source_complaint = complaint
    issue.save(update_fields=["source_complaint", "updated_at"])
    notify(
        agency_users([issue.agency_id]),
        title=_("A founded complaint was added to your ledger"),
        body=issue.subject_name,
        url=reverse("rectification:issue-detail", args=[issue.pk]),
    )
    return issue


# Evidence -------------------------------------------------------------------------------------


def evidence_add(*, parent, uploaded, actor: User) -> Evidence:
    """Attach a checked file to a filing, a ledger issue or a progress update."""
    evidence = Evidence(tenant_id=parent.tenant_id)
    if isinstance(parent, Filing) and (
        parent.status not in EDITABLE_FILING_STATUSES
        or parent.campaign.status != CampaignStatus.LAUNCHED
    ):
        raise ValidationError(_("Attachments of a filing under sign-off or review stay as sent."))
    if isinstance(parent, Filing):
        evidence.filing, evidence.agency_id = parent, parent.agency_id
    elif isinstance(parent, LedgerIssue):
        evidence.issue, evidence.agency_id = parent, parent.agency_id
    elif isinstance(parent, MilestoneUpdate):
        evidence.update, evidence.agency_id = parent, parent.milestone.agency_id
    else:  # pragma: no cover - a programming error
        raise TypeError(parent)
    return store_upload(evidence, uploaded, actor=actor)


@transaction.atomic
def evidence_delete(*, evidence: Evidence, actor: User) -> None:
    if evidence.filing_id and evidence.filing.status not in EDITABLE_FILING_STATUSES:
        raise ValidationError(_("Attachments of a filing under sign-off or review stay as sent."))
    if evidence.update_id:
        raise ValidationError(_("Evidence of a progress update stays as reported."))
    evidence.delete()


# Filings --------------------------------------------------------------------------------------


@transaction.atomic
def filing_get_or_create(*, campaign: Campaign, agency: Agency, kind: str, actor: User) -> Filing:
    if kind not in FilingKind.values:
        raise ValidationError(_("Unknown kind of filing."))
    existing = Filing.objects.filter(campaign=campaign, agency=agency, kind=kind).first()
    if existing:
        return existing
    _require_open(campaign)
    _participation(campaign, agency)
    filing = Filing(
        tenant_id=campaign.tenant_id, campaign=campaign, agency=agency, kind=kind, created_by=actor
    )
    filing.full_clean(validate_constraints=False)
    filing.save()
    return filing


def _lock(filing: Filing) -> Filing:
    return Filing.objects.select_for_update().select_related("campaign").get(pk=filing.pk)


@transaction.atomic
def filing_save(*, filing: Filing, sections: dict, actor: User) -> Filing:
    """Save the draft's sections (rich text, cleaned to an allowlist of tags)."""
    filing = _lock(filing)
    _require_open(filing.campaign)
    if filing.status not in EDITABLE_FILING_STATUSES:
        raise ValidationError(
            _("The filing is with the leader or the office: it cannot be edited.")
        )
    keys = [key for key, _label, _help in FILING_SECTIONS[filing.kind]]
    cleaned = {key: clean_html(sections.get(key, filing.sections.get(key, ""))) for key in keys}
    if cleaned != filing.sections:
        filing.sections = cleaned
        filing.save(update_fields=["sections", "updated_at"])
    return filing


@transaction.atomic
def filing_request_signoff(*, filing: Filing, actor: User) -> Filing:
    """Draft (or returned) → awaiting the leader's sign-off. Every section must be written."""
    filing = _lock(filing)
    _require_open(filing.campaign)
    if filing.status not in EDITABLE_FILING_STATUSES:
        raise ValidationError(_("Only a draft or a returned filing can be sent for sign-off."))
    empty = [
        str(label)
        for key, label, _help in FILING_SECTIONS[filing.kind]
        if is_blank(filing.sections.get(key, ""))
    ]
    if empty:
        raise ValidationError(
            _("Write every section first: %(sections)s.") % {"sections": "、".join(empty)}
        )
    if (
        filing.kind == FilingKind.RECTIFICATION_PLAN
        and not Milestone.objects.filter(campaign=filing.campaign, agency=filing.agency).exists()
    ):
        raise ValidationError(_("A rectification plan needs at least one milestone."))
    filing.status = FilingStatus.AWAITING_SIGNOFF
    filing.save(update_fields=["status", "updated_at"])
    notify(
        agency_users([filing.agency_id], roles=[Role.AGENCY_LEADER]),
        title=_("%(kind)s awaits your sign-off") % {"kind": filing.get_kind_display()},
        body=filing.campaign.title,
        url=reverse("rectification:filing-detail", args=[filing.pk]),
    )
    return filing


@transaction.atomic
def filing_sign_off(*, filing: Filing, actor: User, comment: str = "") -> FilingVersion:
    """The agency leader signs off: the filing goes to the office as a new frozen version, late
    when its first submission is after the campaign's deadline."""
    filing = _lock(filing)
    _require_open(filing.campaign)
    if actor.role != Role.AGENCY_LEADER or actor.agency_id != filing.agency_id:
        raise ValidationError(_("Only the agency's leader signs off."))
    if filing.status != FilingStatus.AWAITING_SIGNOFF:
        raise ValidationError(_("The filing is not awaiting sign-off."))
    now = timezone.now()
    if filing.first_submitted_at is None:
        filing.first_submitted_at = now
        filing.is_late = timezone.localdate(now) > filing.deadline
    version = FilingVersion.objects.create(
        tenant_id=filing.tenant_id,
        filing=filing,
        number=filing.versions.count() + 1,
        sections=filing.sections,
        figures=selectors.filing_figures(filing),
        attachments=[
            {"id": e.pk, "name": e.original_name, "size": e.size} for e in filing.attachments.all()
        ],
        prepared_by=filing.created_by,
        signed_off_by=actor,
        submitted_at=now,
        is_late=timezone.localdate(now) > filing.deadline,
    )
    filing.status = FilingStatus.SUBMITTED
    filing.submitted_at = now
    filing.signoff_comment = (comment or "").strip()
    filing.save(
        update_fields=[
            "status",
            "submitted_at",
            "first_submitted_at",
            "is_late",
            "signoff_comment",
            "updated_at",
        ]
    )
    notify(
        office_users(filing.tenant_id),
        title=_("%(agency)s submitted the %(kind)s")
        % {"agency": filing.agency.name, "kind": filing.get_kind_display()},
        body=filing.campaign.title,
        url=reverse("rectification:filing-detail", args=[filing.pk]),
    )
    return version


@transaction.atomic
def filing_send_back_to_clerk(*, filing: Filing, actor: User, comment: str) -> Filing:
    """The leader does not sign: the filing returns to the draft with the leader's comment."""
    filing = _lock(filing)
    _require_open(filing.campaign)
    if actor.role != Role.AGENCY_LEADER or actor.agency_id != filing.agency_id:
        raise ValidationError(_("Only the agency's leader signs off."))
    if filing.status != FilingStatus.AWAITING_SIGNOFF:
        raise ValidationError(_("The filing is not awaiting sign-off."))
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Say what must change.")})
    filing.status = FilingStatus.DRAFT
    filing.signoff_comment = comment.strip()
    filing.save(update_fields=["status", "signoff_comment", "updated_at"])
    notify(
        agency_users([filing.agency_id], roles=[Role.AGENCY_CLERK]),
        title=_("The leader sent the %(kind)s back") % {"kind": filing.get_kind_display()},
        body=comment.strip(),
        url=reverse("rectification:filing-detail", args=[filing.pk]),
    )
    return filing


@transaction.atomic
def filing_review(*, filing: Filing, accept: bool, comment: str, actor: User) -> Filing:
    """The office accepts a submitted filing, or returns it with comments for revision."""
    filing = _lock(filing)
    if filing.status != FilingStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted filing can be reviewed."))
    comment = (comment or "").strip()
    if not accept and not comment:
        raise ValidationError({"comment": _("Say what must be revised.")})
    now = timezone.now()
    version = filing.versions.order_by("-number").first()
    version.outcome = VersionOutcome.ACCEPTED if accept else VersionOutcome.RETURNED
    version.review_comment = comment
    version.reviewed_by = actor
    version.reviewed_at = now
    version.save(update_fields=["outcome", "review_comment", "reviewed_by", "reviewed_at"])
    filing.status = FilingStatus.ACCEPTED if accept else FilingStatus.RETURNED
    filing.review_comment = comment
    filing.accepted_at = now if accept else None
    filing.save(update_fields=["status", "review_comment", "accepted_at", "updated_at"])
    title = (
        _("The office accepted the %(kind)s") if accept else _("The office returned the %(kind)s")
    ) % {"kind": filing.get_kind_display()}
    notify(
        agency_users([filing.agency_id]),
        title=title,
        body=comment or filing.campaign.title,
        url=reverse("rectification:filing-detail", args=[filing.pk]),
    )
    return filing


# Milestones -----------------------------------------------------------------------------------


@transaction.atomic
def milestone_save(
    *, campaign: Campaign, agency: Agency, data: dict, actor: User, milestone=None
) -> Milestone:
    _require_open(campaign)
    _participation(campaign, agency)
    created = milestone is None
    if created:
        milestone = Milestone(tenant_id=campaign.tenant_id, campaign=campaign, agency=agency)
    elif milestone.status == MilestoneStatus.DONE:
        raise ValidationError(_("A milestone that is done can no longer be changed."))
    changed = apply_changes(milestone, data, MILESTONE_FIELDS)
    if "due_on" in changed:
        milestone.overdue_notified_on = None
        changed.append("overdue_notified_on")
    save_changes(milestone, changed, created=created)
    return milestone


@transaction.atomic
def milestone_delete(*, milestone: Milestone, actor: User) -> None:
    if milestone.updates.exists():
        raise ValidationError(_("A milestone with progress updates cannot be deleted."))
    milestone.delete()


@transaction.atomic
def milestone_report(
    *, milestone: Milestone, note: str, progress: int, actor: User, files=()
) -> MilestoneUpdate:
    """A progress update with evidence; 100 % marks the milestone done today."""
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    _require_open(milestone.campaign)
    if milestone.status == MilestoneStatus.DONE:
        raise ValidationError(_("The milestone is already done."))
    if not (note or "").strip():
        raise ValidationError({"note": _("Describe the progress.")})
    if progress is None or not 0 <= int(progress) <= 100:
        raise ValidationError({"progress": _("Enter a percentage from 0 to 100.")})
    if int(progress) < milestone.progress:
        raise ValidationError({"progress": _("Progress cannot go backwards.")})
    update = MilestoneUpdate.objects.create(
        tenant_id=milestone.tenant_id,
        milestone=milestone,
        note=note.strip(),
        progress=int(progress),
        created_by=actor,
    )
    milestone.progress = int(progress)
    fields = ["progress", "updated_at"]
    if milestone.progress == 100:
        milestone.status = MilestoneStatus.DONE
        milestone.completed_on = timezone.localdate()
        fields += ["status", "completed_on"]
    milestone.save(update_fields=fields)
    for uploaded in files:
        evidence_add(parent=update, uploaded=uploaded, actor=actor)
    return update


# The daily overdue job ------------------------------------------------------------------------


@transaction.atomic
def flag_overdue(*, today: date | None = None) -> dict[str, int]:
    """Find milestones and ledger issues past due that were not reported yet, mark them, and
    send one notification per agency to its clerks and one per tenant to the office. Running it
    twice on a day reports nothing new."""
    today = today or timezone.localdate()
    milestones = list(
        Milestone.objects.select_for_update(of=("self",))
        .filter(
            status=MilestoneStatus.OPEN,
            due_on__lt=today,
            overdue_notified_on__isnull=True,
            campaign__status=CampaignStatus.LAUNCHED,
        )
        .select_related("agency")
    )
    issues = list(
        LedgerIssue.objects.select_for_update(of=("self",))
        .filter(
            status__in=(IssueStatus.PENDING, IssueStatus.IN_PROGRESS),
            deadline__lt=today,
            overdue_notified_on__isnull=True,
            campaign__status=CampaignStatus.LAUNCHED,
        )
        .select_related("agency")
    )
    Milestone.objects.filter(pk__in=[m.pk for m in milestones]).update(overdue_notified_on=today)
    LedgerIssue.objects.filter(pk__in=[i.pk for i in issues]).update(overdue_notified_on=today)

    per_agency: dict[int, list[int]] = {}
    per_tenant: dict[int, list[int]] = {}
    for row, index in [*((m, 0) for m in milestones), *((i, 1) for i in issues)]:
        per_agency.setdefault(row.agency_id, [0, 0])[index] += 1
        per_tenant.setdefault(row.tenant_id, [0, 0])[index] += 1
    overdue_url = reverse("rectification:overdue")
    for agency_id, (m_count, i_count) in per_agency.items():
        notify(
            agency_users([agency_id], roles=[Role.AGENCY_CLERK]),
            title=_("Overdue: %(m)d milestones, %(i)d ledger issues")
            % {"m": m_count, "i": i_count},
            body=_("These items passed their deadline without being completed."),
            url=overdue_url,
        )
    for tenant_id, (m_count, i_count) in per_tenant.items():
        notify(
            office_users(tenant_id),
            title=_("Newly overdue: %(m)d milestones, %(i)d ledger issues")
            % {"m": m_count, "i": i_count},
            body=_("See the overdue list for the agencies concerned."),
            url=overdue_url,
        )
    return {"milestones": len(milestones), "issues": len(issues)}


# Investment projects and duplicate signings (M7) ----------------------------------------------

_NAME_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def normalize_project_name(name: str) -> str:
    """Compare names without width, case, spaces, punctuation or the word 项目."""
    text = unicodedata.normalize("NFKC", name or "").lower()
    return _NAME_NOISE.sub("", text).replace("项目", "")


def name_similarity(a: str, b: str) -> Decimal:
    ratio = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() if a and b else 0
    return Decimal(str(round(ratio, 3)))


def _detect_duplicates(project: InvestmentProject) -> list[DuplicateFlag]:
    """Flag the project against other agencies' live projects with the same investor credit
    code or a name at least DUPLICATE_NAME_SIMILARITY alike. Existing flags stay as decided."""
    threshold = Decimal(str(settings.DUPLICATE_NAME_SIMILARITY))
    others = (
        InvestmentProject.objects.for_tenant(project.tenant_id)
        .exclude(agency_id=project.agency_id)
        .exclude(status=ProjectStatus.CANCELLED)
        .only("pk", "normalized_name", "investor_credit_code")
    )
    if project.status == ProjectStatus.CANCELLED:
        return []
    flags = []
    for other in others.iterator(chunk_size=2000):
        similarity = name_similarity(project.normalized_name, other.normalized_name)
        code = project.investor_credit_code
        if code and other.investor_credit_code == code:
            reason = DuplicateReason.SAME_INVESTOR
        elif similarity >= threshold:
            reason = DuplicateReason.SIMILAR_NAME
        else:
            continue
        first, second = sorted([project.pk, other.pk])
        flag, created = DuplicateFlag.objects.get_or_create(
            project_id=first,
            other_id=second,
            defaults={"tenant_id": project.tenant_id, "reason": reason, "similarity": similarity},
        )
        if created:
            flags.append(flag)
    if flags:
        notify(
            office_users(project.tenant_id),
            title=_("Possible duplicate signing: %(name)s") % {"name": project.name},
            body=_("%(n)d projects of other agencies look like the same project.")
            % {"n": len(flags)},
            url=reverse("rectification:duplicate-list"),
        )
    return flags


@transaction.atomic
def project_save(
    *, agency: Agency, data: dict, actor: User, project: InvestmentProject | None = None
) -> InvestmentProject:
    created = project is None
    if created:
        project = InvestmentProject(tenant_id=agency.tenant_id, agency=agency, created_by=actor)
    data = dict(data)
    if data.get("investor_credit_code"):
        data["investor_credit_code"] = normalize_credit_code(data["investor_credit_code"])
    changed = apply_changes(project, data, PROJECT_FIELDS)
    project.normalized_name = normalize_project_name(project.name)
    if "name" in changed:
        changed.append("normalized_name")
    save_changes(project, changed, created=created)
    if created or {"name", "investor_credit_code", "status"} & set(changed):
        _detect_duplicates(project)
    return project


@transaction.atomic
def flag_decide(*, flag: DuplicateFlag, status: str, note: str, actor: User) -> DuplicateFlag:
    if status not in (FlagStatus.CONFIRMED, FlagStatus.DISMISSED):
        raise ValidationError({"status": _("Confirm or dismiss the flag.")})
    if not (note or "").strip():
        raise ValidationError({"note": _("Say what the check found.")})
    flag.status = status
    flag.note = note.strip()
    flag.decided_by = actor
    flag.decided_at = timezone.now()
    flag.save(update_fields=["status", "note", "decided_by", "decided_at"])
    return flag
