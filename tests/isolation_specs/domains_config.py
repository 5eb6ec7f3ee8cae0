"""Configuration pages (key domains, fields, problem types, publicity rules, credit settings,
working days) and the measure lists (joint measures, four lists)."""

import datetime

from domains import services
from domains.models import DomainField, KeyDomain, ProblemType, PublicityRule
from integrity.models import WorkdayOverride
from tests.factories import ensure_defaults

from . import ObjectURL


def _domain(tenant):
    return KeyDomain.objects.filter(tenant=ensure_defaults(tenant)).first()


def _field(tenant):
    domain = _domain(tenant)
    return DomainField.objects.create(
        tenant=tenant, domain=domain, key="contract_amount", label="合同金额", field_type="money"
    )


def _problem_type(tenant):
    return ProblemType.objects.filter(tenant=ensure_defaults(tenant)).first()


def _rule(tenant):
    return PublicityRule.objects.filter(tenant=ensure_defaults(tenant)).first()


def _override(tenant):
    # 2026-05-16 is a Saturday (not an adjusted working day): a local working day.
    return WorkdayOverride.objects.create(
        tenant=tenant, date=datetime.date(2026, 5, 16), is_workday=True, note="调休"
    )


def _joint(tenant):
    return services.joint_measure_save(
        tenant=tenant,
        actor=None,
        data={
            "direction": "punishment",
            "measure": "限制申报财政资金项目",
            "department": "县财政局",
            "administrative_matter": "财政专项资金申报",
            "business_section": "预算股",
            "responsible_person": "李四",
            "position": 1,
        },
    )


def _four(tenant):
    return services.four_list_entry_save(
        tenant=tenant,
        actor=None,
        data={"list_kind": "typical_cases", "title": "某镇按期兑现招商承诺", "position": 1},
    )


def _spec(builder, *, read=False, actor="office_admin_a"):
    return ObjectURL(
        lambda w: builder(w.county_b),
        None,
        (lambda w: builder(w.county_c)) if read else None,
        actor=actor,
        own=lambda w: builder(w.county_a),
    )


OBJECT_URLS: dict[str, ObjectURL] = {
    "domains:domain-detail": _spec(_domain, read=True),
    "domains:domain-update": _spec(_domain),
    "domains:field-create": _spec(_domain),
    "domains:field-update": _spec(_field),
    "domains:field-delete": _spec(_field),
    "domains:problem-type-update": _spec(_problem_type),
    "domains:rule-update": _spec(_rule),
    "domains:workday-delete": _spec(_override),
    "domains:joint-measure-update": _spec(_joint),
    "domains:joint-measure-delete": _spec(_joint),
    "domains:four-list-update": _spec(_four),
    "domains:four-list-delete": _spec(_four),
}

NON_OBJECT_URLS = {
    "domains:domain-list",
    "domains:domain-export",
    "domains:domain-create",
    "domains:problem-type-list",
    "domains:problem-type-export",
    "domains:problem-type-create",
    "domains:rule-list",
    "domains:rule-create",
    "domains:credit-settings",
    "domains:workday-list",
    "domains:joint-measure-list",
    "domains:joint-measure-export",
    "domains:joint-measure-create",
    "domains:four-list-list",
    "domains:four-list-export",
    "domains:four-list-create",
}
