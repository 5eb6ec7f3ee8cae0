"""The public side, objections and repair applications, case notices."""

from . import ObjectURL, PublicURL


def _public_record(agency):
    from tests.factories import TrustRecordFactory

    return TrustRecordFactory(agency=agency, is_public=True)


def _request(agency):
    from domains import services
    from domains.choices import RequestKind

    return services.request_submit(
        record=_public_record(agency),
        kind=RequestKind.OBJECTION,
        data={
            "applicant_name": "某公司",
            "applicant_phone": "13800000000",
            "reason": "记录中的欠款金额有误。",
        },
    )


def _notice(agency):
    from domains import services

    record = _public_record(agency)
    return services.notice_save(
        tenant=agency.tenant,
        actor=None,
        data={"title": "失信案件通报", "body": "通报正文", "records": [record]},
    )


def _hidden_record(w):
    from tests.factories import TrustRecordFactory

    record = TrustRecordFactory(agency=w.a1, is_public=False)
    return record, {"division_code": w.county_a.division_code, "public_id": record.public_id}


def _inactive_county(w):
    from tests.factories import TenantFactory

    county = TenantFactory(parent=w.city, is_active=False)
    return county, {"division_code": county.division_code}


def _draft_notice(w):
    notice = _notice(w.a1)
    return notice, {"division_code": w.county_a.division_code, "public_id": notice.public_id}


OBJECT_URLS: dict[str, ObjectURL] = {
    "domains:request-detail": ObjectURL(
        lambda w: _request(w.b1), actor="office_staff_a", own=lambda w: _request(w.a1)
    ),
    "domains:request-decide": ObjectURL(
        lambda w: _request(w.b1), actor="office_staff_a", own=lambda w: _request(w.a1)
    ),
    "domains:notice-detail": ObjectURL(
        lambda w: _notice(w.b1),
        other_city=lambda w: _notice(w.c1),
        actor="office_staff_a",
        own=lambda w: _notice(w.a1),
    ),
    "domains:notice-update": ObjectURL(
        lambda w: _notice(w.b1), actor="office_staff_a", own=lambda w: _notice(w.a1)
    ),
    "domains:notice-publish": ObjectURL(
        lambda w: _notice(w.b1), actor="office_admin_a", own=lambda w: _notice(w.a1)
    ),
    "domains:notice-withdraw": ObjectURL(
        lambda w: _notice(w.b1), actor="office_admin_a", own=lambda w: _notice(w.a1)
    ),
}

NON_OBJECT_URLS = {
    "public:index",
    "domains:request-list",
    "domains:request-export",
    "domains:notice-list",
    "domains:notice-create",
    "domains:notice-export",
}

PUBLIC_OBJECT_URLS: dict[str, PublicURL] = {
    "public:record-list": PublicURL(_inactive_county),
    "public:record-detail": PublicURL(_hidden_record),
    "public:objection-create": PublicURL(_hidden_record),
    "public:repair-create": PublicURL(_hidden_record),
    "public:request-track": PublicURL(_inactive_county),
    "public:notice-list": PublicURL(_inactive_county),
    "public:notice-detail": PublicURL(_draft_notice),
}
