"""API endpoints of the domains app."""

from domains import services
from domains.models import KeyDomain, ProblemType
from tests.factories import CommitmentFactory, TrustRecordFactory, ensure_defaults

from . import ObjectURL


def _domain(tenant):
    return KeyDomain.objects.filter(tenant=ensure_defaults(tenant)).first()


def _problem_type(tenant):
    return ProblemType.objects.filter(tenant=ensure_defaults(tenant)).first()


def _record(agency):
    return TrustRecordFactory(agency=agency, is_public=True)


def _measure(agency):
    record = _record(agency)
    return services.measure_add(
        record=record,
        data={
            "measure_type": "written_warning",
            "date": record.decision_date,
            "issuing_body": "县信用办",
        },
        actor=None,
    )


def _request(agency):
    return services.request_submit(
        record=_record(agency),
        kind="objection",
        data={"applicant_name": "王五", "applicant_phone": "13800001111", "reason": "记录有误"},
    )


def _notice(tenant, agency):
    return services.notice_save(
        tenant=tenant,
        data={"title": "通报", "body": "正文", "records": [_record(agency)]},
        actor=None,
    )


def _joint(tenant):
    return services.joint_measure_save(
        tenant=tenant,
        data={
            "direction": "punishment",
            "measure": "限制评优",
            "department": "县人社局",
            "administrative_matter": "评先评优",
            "business_section": "人事科",
            "responsible_person": "张科长",
        },
        actor=None,
    )


def _four(tenant):
    return services.four_list_entry_save(
        tenant=tenant, data={"list_kind": "punishments", "title": "取消评优资格"}, actor=None
    )


def _config(build):
    return ObjectURL(
        lambda w: build(w.county_b),
        None,
        lambda w: build(w.county_c),
        own=lambda w: build(w.county_a),
    )


def _agency_owned(build, *, city=True):
    return ObjectURL(
        lambda w: build(w.b1),
        lambda w: build(w.a2),
        (lambda w: build(w.c1)) if city else None,
        own=lambda w: build(w.a1),
    )


OBJECT_URLS = {
    "v1:key-domain-detail": _config(_domain),
    "v1:problem-type-detail": _config(_problem_type),
    "v1:record-detail": _agency_owned(_record),
    "v1:measure-detail": _agency_owned(_measure),
    "v1:commitment-detail": _agency_owned(lambda a: CommitmentFactory(agency=a)),
    "v1:credit-request-detail": ObjectURL(
        lambda w: _request(w.b1), lambda w: _request(w.a2), own=lambda w: _request(w.a1)
    ),
    "v1:case-notice-detail": ObjectURL(
        lambda w: _notice(w.county_b, w.b1),
        lambda w: _notice(w.county_a, w.a2),
        own=lambda w: _notice(w.county_a, w.a1),
    ),
    "v1:joint-measure-detail": _config(_joint),
    "v1:four-list-entry-detail": _config(_four),
}

NON_OBJECT_URLS = {
    "v1:key-domain-list",
    "v1:problem-type-list",
    "v1:record-list",
    "v1:measure-list",
    "v1:commitment-list",
    "v1:credit-request-list",
    "v1:case-notice-list",
    "v1:joint-measure-list",
    "v1:four-list-entry-list",
}
