"""Shared helpers of the public-side, request and notice tests."""

import datetime
import re

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation

from domains.choices import RequestKind, Severity, SubjectType
from domains.views.public import throttle_key
from tests.factories import TrustRecordFactory, ensure_defaults, resident_id

CLIENT_ADDRESSES = ("127.0.0.1", "10.0.0.2", "10.9.9.9")
OFFICER_NAME = "王建军"
OFFICER_ID = resident_id(7)
OFFICER_PHONE = "13912345678"


def zh(text: str) -> str:
    """A message as served (LANGUAGE_CODE zh-hans): translated once the catalogue has it."""
    with translation.override("zh-hans"):
        return str(translation.gettext(text))


def clear_throttle() -> None:
    cache.delete_many(
        [
            throttle_key(scope, address)
            for scope in ("submit", "lookup")
            for address in CLIENT_ADDRESSES
        ]
    )


def prepared(world):
    """For a `county` fixture: counties A and B with their default domains, rules and
    settings, and the throttle counters cleared before and after the test."""
    ensure_defaults(world.county_a)
    ensure_defaults(world.county_b)
    clear_throttle()
    yield world
    clear_throttle()


def today() -> datetime.date:
    return timezone.localdate()


def days_ago(days: int) -> datetime.date:
    return today() - datetime.timedelta(days=days)


def public_record(world, **kwargs):
    kwargs.setdefault("agency", world.a1)
    kwargs.setdefault("is_public", True)
    return TrustRecordFactory(**kwargs)


def officer_record(world, **kwargs):
    """A serious record on a civil servant, with his name, ID and phone in the facts."""
    return public_record(
        world,
        subject_type=SubjectType.CIVIL_SERVANT,
        subject_name=OFFICER_NAME,
        person_id_number=OFFICER_ID,
        person_position="科长",
        severity=Severity.SERIOUS,
        facts=(
            f"{OFFICER_NAME}任县财政局科长期间，身份证号 {OFFICER_ID} ，联系电话 "
            f"{OFFICER_PHONE} ，拖欠民营企业工程款拒不支付。"
        ),
        **kwargs,
    )


def division(world) -> str:
    return world.county_a.division_code


def record_list_url(world) -> str:
    return reverse("public:record-list", args=[division(world)])


def record_url(world, record) -> str:
    return reverse("public:record-detail", args=[division(world), record.public_id])


def objection_url(world, record) -> str:
    return reverse("public:objection-create", args=[division(world), record.public_id])


def repair_url(world, record) -> str:
    return reverse("public:repair-create", args=[division(world), record.public_id])


def track_url(world) -> str:
    return reverse("public:request-track", args=[division(world)])


def objection_data(**overrides) -> dict:
    data = {
        "applicant_name": "承德某建筑有限公司",
        "applicant_phone": "0314-5123456",
        "applicant_is_subject": "",
        "reason": "记录所述欠款已于判决前全部结清，金额有误。",
    }
    data.update(overrides)
    return data


def service_data(**overrides) -> dict:
    """What the public forms hand to services.request_submit."""
    data = {
        "applicant_name": "承德某建筑有限公司",
        "applicant_phone": "0314-5123456",
        "reason": "记录所述欠款已于判决前全部结清，金额有误。",
    }
    data.update(overrides)
    return data


def repair_data(**overrides) -> dict:
    data = objection_data(
        reason="欠款本息已全部支付，已签署信用承诺书。",
        declares_corrected="on",
        declares_commitment="on",
        declares_other="on",
    )
    data.update(overrides)
    return data


def receipt_code(response) -> str:
    match = re.search(r'data-testid="receipt-code">\s*([A-Z0-9-]+)\s*<', response.text)
    assert match, response.text
    return match.group(1)


def submit(client, world, record, kind=RequestKind.OBJECTION, **overrides):
    url = (
        objection_url(world, record) if kind == RequestKind.OBJECTION else repair_url(world, record)
    )
    data = (
        objection_data(**overrides) if kind == RequestKind.OBJECTION else repair_data(**overrides)
    )
    return client.post(url, data)


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
