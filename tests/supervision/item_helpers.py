"""Builders shared by the NPC/CPPCC, judicial supervision, evaluation and figures tests (and
tests/isolation_specs/supervision_items.py). Everything is created through the services."""

from __future__ import annotations

import datetime
import io
import itertools
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from accounts.choices import Role
from supervision import services
from supervision.models import (
    DebtorListing,
    EvaluationScore,
    Judgment,
    JudicialSuggestion,
    LitigationCase,
    Proposal,
)
from tests.factories import UserFactory

D = datetime.date
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_numbers = itertools.count(1)


def pdf(name: str = "评价报告.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, "application/pdf")


def proposal(agency, **overrides) -> Proposal:
    data = {
        "agency": agency,
        "kind": "npc_suggestion",
        "number": f"2026-{next(_numbers):03d}",
        "title": "关于加快清理拖欠企业账款的建议",
        "assigned_on": D(2026, 3, 10),
        "reply_deadline": None,
        "replied_on": None,
        "satisfaction": "",
        "note": "",
    }
    data.update(overrides)
    return services.item_save(model=Proposal, tenant=agency.tenant, data=data, actor=None)


def litigation(agency, **overrides) -> LitigationCase:
    data = {
        "agency": agency,
        "case_number": f"(2026)冀0826行初{next(_numbers)}号",
        "court": "丰宁满族自治县人民法院",
        "cause": "行政许可",
        "hearing_date": D(2026, 4, 15),
        "head_appearance_required": True,
        "head_appeared": False,
        "note": "",
    }
    data.update(overrides)
    return services.item_save(model=LitigationCase, tenant=agency.tenant, data=data, actor=None)


def judgment(agency, **overrides) -> Judgment:
    data = {
        "agency": agency,
        "kind": "judgment",
        "case_number": f"(2025)冀08民终{next(_numbers)}号",
        "authority": "承德市中级人民法院",
        "effective_on": D(2026, 1, 10),
        "due_on": D(2026, 2, 10),
        "executed_on": None,
        "amount": Decimal("380000.00"),
        "note": "",
    }
    data.update(overrides)
    return services.item_save(model=Judgment, tenant=agency.tenant, data=data, actor=None)


def suggestion(agency, **overrides) -> JudicialSuggestion:
    data = {
        "agency": agency,
        "number": f"(2026)冀0826司建{next(_numbers)}号",
        "court": "丰宁满族自治县人民法院",
        "received_on": D(2026, 2, 1),
        "due_on": D(2026, 3, 3),
        "answered_on": None,
        "content": "建议规范政府采购合同履约。",
    }
    data.update(overrides)
    return services.item_save(model=JudicialSuggestion, tenant=agency.tenant, data=data, actor=None)


def listing(agency, **overrides) -> DebtorListing:
    data = {
        "agency": agency,
        "case_number": f"(2026)冀0826执{next(_numbers)}号",
        "court": "丰宁满族自治县人民法院",
        "listed_on": D(2026, 1, 20),
        "removed_on": None,
        "amount": Decimal("120000.00"),
    }
    data.update(overrides)
    return services.item_save(model=DebtorListing, tenant=agency.tenant, data=data, actor=None)


BUILDERS = {
    "proposal": proposal,
    "litigation": litigation,
    "judgment": judgment,
    "suggestion": suggestion,
    "listing": listing,
}
MODELS = {
    "proposal": Proposal,
    "litigation": LitigationCase,
    "judgment": Judgment,
    "suggestion": JudicialSuggestion,
    "listing": DebtorListing,
}


def evaluator_of(tenant, username: str | None = None):
    kwargs = {"username": username} if username else {}
    return UserFactory(role=Role.EVALUATOR, tenant=tenant, **kwargs)


def assignment(agencies, *, evaluator=None, **overrides):
    tenant = agencies[0].tenant
    data = {
        "evaluator": evaluator or evaluator_of(tenant),
        "title": "2026年上半年政务诚信第三方评价",
        "period_start": D(2026, 1, 1),
        "period_end": D(2026, 6, 30),
        "agencies": list(agencies),
    }
    data.update(overrides)
    return services.assignment_save(tenant=tenant, data=data, actor=None)


def scored(
    assignment_, agency, score="86.50", *, status="submitted", report=None, reason="评分依据不充分"
) -> EvaluationScore:
    """A score of `agency` brought to `status` through the services."""
    item = services.score_submit(
        assignment=assignment_,
        agency=agency,
        score=Decimal(score),
        comments="材料齐全。",
        actor=assignment_.evaluator,
        report=report,
    )
    if status != "submitted":
        item = services.score_decide(
            score=item, accept=status == "accepted", reason=reason, actor=None
        )
    return item


def link_of(assignment_, agency):
    from supervision.models import AssignedAgency

    return AssignedAgency.objects.get(assignment=assignment_, agency=agency)


def workbook_rows(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]
