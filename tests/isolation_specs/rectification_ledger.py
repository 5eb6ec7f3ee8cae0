"""The issue ledger (list, export, form, issue page and its actions) and the Excel import jobs.
The builders live in tests/rectification/ledger_helpers.py."""

from . import ObjectURL


def _issue(agency_attr, **kwargs):
    def build(w):
        from tests.rectification.ledger_helpers import issue_for

        return issue_for(getattr(w, agency_attr), **kwargs)

    return build


def _repayment(agency_attr):
    def build(w):
        from tests.rectification.ledger_helpers import repayment_for

        return repayment_for(getattr(w, agency_attr))

    return build


def _job(agency_attr, **kwargs):
    def build(w):
        from tests.rectification.ledger_helpers import import_job_for

        return import_job_for(getattr(w, agency_attr), **kwargs)

    return build


def _spec(actor="clerk_a1", other_city=False, builder=_issue, **kwargs):
    return ObjectURL(
        builder("b1", **kwargs),
        other_agency=builder("a2", **kwargs),
        other_city=builder("c1", **kwargs) if other_city else None,
        actor=actor,
        own=builder("a1", **kwargs),
    )


OBJECT_URLS: dict[str, ObjectURL] = {
    "rectification:issue-detail": _spec(actor="office_staff_a", other_city=True),
    "rectification:issue-edit": _spec(),
    "rectification:repayment-add": _spec(arrears=True),
    "rectification:repayment-delete": _spec(builder=_repayment),
    "rectification:issue-attach": _spec(),
    "rectification:issue-rectified": _spec(),
    "rectification:issue-verify": _spec(actor="office_staff_a", status="rectified"),
    "rectification:issue-delete": _spec(),
    "rectification:import-detail": _spec(builder=_job),
    "rectification:import-progress": _spec(builder=_job),
    "rectification:import-commit": _spec(builder=_job),
}

NON_OBJECT_URLS = {
    "rectification:issue-list",
    "rectification:issue-export",
    "rectification:issue-create",
    "rectification:import-template",
    "rectification:import-upload",
}
