"""Builders and helpers shared by the complaint tests (and tests/isolation_specs)."""

from __future__ import annotations

import datetime
import io
import re

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from domains.views.public import throttle_key
from supervision import services
from supervision.choices import Channel, ComplaintStatus, Verification
from supervision.views.public import COMPLAINT_SCOPE
from tests.domains.public_helpers import CLIENT_ADDRESSES, clear_throttle

COMPLAINANT_NAME = "张秀兰"
COMPLAINANT_PHONE = "13833334444"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def today() -> datetime.date:
    return timezone.localdate()


def pdf(name: str = "证据.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, "application/pdf")


def clear_all_throttles() -> None:
    clear_throttle()
    cache.delete_many([throttle_key(COMPLAINT_SCOPE, a) for a in CLIENT_ADDRESSES])


def complaint_data(agency, **overrides) -> dict:
    data = {
        "channel": Channel.HOTLINE_12345,
        "source_reference": "",
        "agency": agency,
        "title": "拖欠工程款两年未付",
        "content": "县财政局承诺2024年底前支付的工程款38万元至今未付，多次催要无果。",
        "complainant_name": COMPLAINANT_NAME,
        "complainant_phone": COMPLAINANT_PHONE,
    }
    data.update(overrides)
    return data


def make_complaint(
    agency, status: str = ComplaintStatus.RECEIVED, *, verification=None, files=(), **overrides
):
    """A complaint against `agency` brought to `status` through the services."""
    actor = None
    if overrides.pop("website", False):
        data = complaint_data(agency, **overrides)
        data.pop("channel")
        data.pop("source_reference")
        complaint = services.complaint_submit(tenant=agency.tenant, data=data, files=files)
    else:
        complaint = services.complaint_log(
            tenant=agency.tenant, data=complaint_data(agency, **overrides), actor=actor
        )
    if status == ComplaintStatus.RECEIVED:
        return complaint
    services.complaint_assign(complaint=complaint, actor=actor)
    if status == ComplaintStatus.ASSIGNED:
        return complaint
    services.complaint_reply(complaint=complaint, reply="已核实，正在筹措资金支付。", actor=actor)
    if status == ComplaintStatus.REPLIED:
        return complaint
    services.complaint_verify(
        complaint=complaint,
        verification=verification or Verification.FOUNDED,
        note="经核查，欠款属实。",
        actor=actor,
    )
    if status == ComplaintStatus.VERIFIED:
        return complaint
    services.complaint_close(complaint=complaint, public_reply="已责令限期支付。", actor=actor)
    return complaint


def detail_url(complaint) -> str:
    return reverse("supervision:complaint-detail", args=[complaint.pk])


def action_url(name: str, complaint) -> str:
    return reverse(f"supervision:complaint-{name}", args=[complaint.pk])


def public_create_url(tenant) -> str:
    return reverse("public-complaints:complaint-create", args=[tenant.division_code])


def public_track_url(tenant) -> str:
    return reverse("public-complaints:complaint-track", args=[tenant.division_code])


def receipt_code(response) -> str:
    match = re.search(r'data-testid="receipt-code">\s*([A-Z0-9-]+)\s*<', response.text)
    assert match, response.text
    return match.group(1)


def xlsx(rows, headers=None) -> SimpleUploadedFile:
    """An .xlsx upload with the template's headers (or `headers`) and `rows`."""
    from supervision.excel import complaint_columns

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers if headers is not None else [label for _f, label in complaint_columns()])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(
        "hotline.xlsx",
        buffer.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
