"""API endpoints of the supervision app."""

import datetime

from accounts.choices import Role
from supervision import services
from supervision.models import (
    DebtorListing,
    Judgment,
    JudicialSuggestion,
    LitigationCase,
    Proposal,
)
from tests.factories import UserFactory

from . import ObjectURL

TODAY = datetime.date(2026, 6, 1)


def _complaint(agency):
    return services.complaint_log(
        tenant=agency.tenant,
        actor=None,
        data={
            "channel": "hotline_12345",
            "agency": agency,
            "title": "拖欠货款",
            "content": "拖欠货款三个月。",
            "complainant_name": "王五",
            "complainant_phone": "13800001111",
        },
    )


ITEM_DATA = {
    Proposal: {
        "kind": "npc_suggestion",
        "number": "2026-001",
        "title": "建议",
        "assigned_on": TODAY,
    },
    LitigationCase: {
        "case_number": "(2026)冀08行初1号",
        "court": "承德中院",
        "cause": "行政许可",
        "hearing_date": TODAY,
    },
    Judgment: {
        "kind": "judgment",
        "case_number": "(2026)冀08民初2号",
        "authority": "承德中院",
        "effective_on": TODAY,
        "due_on": TODAY,
    },
    JudicialSuggestion: {
        "number": "司建〔2026〕1号",
        "court": "丰宁法院",
        "received_on": TODAY,
        "due_on": TODAY,
    },
    DebtorListing: {"case_number": "(2026)冀0826执3号", "court": "丰宁法院", "listed_on": TODAY},
}


def _item(model):
    def build(agency):
        return services.item_save(
            model=model,
            tenant=agency.tenant,
            actor=None,
            data={"agency": agency, **ITEM_DATA[model]},
        )

    return build


def _assignment(agency):
    evaluator = UserFactory(role=Role.EVALUATOR, tenant=agency.tenant)
    return services.assignment_save(
        tenant=agency.tenant,
        actor=None,
        data={
            "evaluator": evaluator,
            "title": "2026年度第三方评价",
            "period_start": TODAY,
            "period_end": TODAY,
            "agencies": [agency],
        },
    )


def _score(agency):
    assignment = _assignment(agency)
    return services.score_submit(
        assignment=assignment, agency=agency, score="88.50", comments="", actor=assignment.evaluator
    )


def _agency_owned(build):
    return ObjectURL(
        lambda w: build(w.b1),
        lambda w: build(w.a2),
        lambda w: build(w.c1),
        own=lambda w: build(w.a1),
    )


OBJECT_URLS = {
    "v1:complaint-detail": _agency_owned(_complaint),
    "v1:proposal-detail": _agency_owned(_item(Proposal)),
    "v1:litigation-case-detail": _agency_owned(_item(LitigationCase)),
    "v1:judgment-detail": _agency_owned(_item(Judgment)),
    "v1:judicial-suggestion-detail": _agency_owned(_item(JudicialSuggestion)),
    "v1:debtor-listing-detail": _agency_owned(_item(DebtorListing)),
    "v1:evaluation-assignment-detail": ObjectURL(
        lambda w: _assignment(w.b1),
        lambda w: _assignment(w.a2),
        lambda w: _assignment(w.c1),
        own=lambda w: _assignment(w.a1),
    ),
    "v1:evaluation-score-detail": _agency_owned(_score),
}

NON_OBJECT_URLS = {
    "v1:complaint-list",
    "v1:proposal-list",
    "v1:litigation-case-list",
    "v1:judgment-list",
    "v1:judicial-suggestion-list",
    "v1:debtor-listing-list",
    "v1:evaluation-assignment-list",
    "v1:evaluation-score-list",
}
