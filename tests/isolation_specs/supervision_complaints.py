"""Complaints (投诉举报): office and agency pages, and the public form and tracking page."""

from . import ObjectURL, PublicURL


def _complaint(agency_attr, status="received", **kwargs):
    def build(w):
        from tests.supervision.complaint_helpers import make_complaint

        return make_complaint(getattr(w, agency_attr), status, **kwargs)

    return build


def _attachment(agency_attr):
    def build(w):
        from tests.supervision.complaint_helpers import make_complaint, pdf

        complaint = make_complaint(getattr(w, agency_attr), website=True, files=[pdf()])
        return complaint.attachments.get()

    return build


def _spec(status="received", actor="office_staff_a", other_city=False, **kwargs):
    return ObjectURL(
        _complaint("b1", status, **kwargs),
        other_agency=_complaint("a2", status, **kwargs),
        other_city=_complaint("c1", status, **kwargs) if other_city else None,
        actor=actor,
        own=_complaint("a1", status, **kwargs),
    )


OBJECT_URLS: dict[str, ObjectURL] = {
    "supervision:complaint-detail": _spec(other_city=True),
    "supervision:complaint-assign": _spec(),
    "supervision:complaint-send-back": _spec("replied"),
    "supervision:complaint-verify": _spec("replied"),
    "supervision:complaint-close": _spec("verified"),
    "supervision:complaint-convert": _spec("verified"),
    "supervision:complaint-reply": _spec("assigned", actor="clerk_a1"),
    "supervision:complaint-attachment": ObjectURL(
        _attachment("b1"),
        other_agency=_attachment("a2"),
        other_city=_attachment("c1"),
        actor="office_staff_a",
        own=_attachment("a1"),
    ),
}

NON_OBJECT_URLS = {
    "supervision:complaint-list",
    "supervision:complaint-export",
    "supervision:complaint-create",
    "supervision:complaint-template",
    "supervision:complaint-import",
}


def _inactive_county(w):
    from tests.factories import TenantFactory

    county = TenantFactory(parent=w.city, is_active=False)
    return county, {"division_code": county.division_code}


PUBLIC_OBJECT_URLS: dict[str, PublicURL] = {
    "public-complaints:complaint-create": PublicURL(_inactive_county),
    "public-complaints:complaint-track": PublicURL(_inactive_county),
}
