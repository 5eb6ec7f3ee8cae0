"""Credit commitments (M16): agencies file them and their evidence, the office judges them, a
broken one becomes a linked failure-of-trust record, and they survive a change of leader."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from openpyxl import load_workbook

from accounts.choices import Role, SecurityEventKind
from accounts.models import SecurityEvent
from domains import services
from domains.choices import CommitmentStatus, RecordSource, SubjectType
from domains.models import Commitment, CommitmentAttachment, KeyDomain, TrustRecord
from integrity.xlsx import XLSX_CONTENT_TYPE
from tests.conftest import login
from tests.factories import CommitmentFactory, UserFactory, ensure_defaults

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return str(translation.gettext(text))


def commitment_form(**overrides) -> dict:
    data = {
        "category": "service_quality",
        "title": "企业开办一日办结",
        "content": "企业开办全流程一个工作日内办结，不让企业跑第二次。",
        "promised_date": "2026-12-31",
        "is_public": "on",
    }
    data.update(overrides)
    return data


def snapshot(commitment) -> dict:
    return Commitment.objects.filter(pk=commitment.pk).values().get()


def page(response) -> str:
    return response.content.decode()


# Filing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["clerk_a1", "leader_a1"])
def test_agency_roles_file_for_their_own_agency(client, world, role):
    user = getattr(world, role)
    login(client, user)
    form = client.get("/commitments/new/").context["form"]
    assert "agency" not in form.fields
    response = client.post("/commitments/new/", commitment_form(agency=world.a2.pk))
    commitment = Commitment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/commitments/{commitment.pk}/"
    assert (commitment.agency, commitment.tenant, commitment.created_by) == (
        world.a1,
        world.county_a,
        user,
    )
    assert commitment.status == CommitmentStatus.IN_PROGRESS


def test_office_chooses_the_agency(client, world):
    login(client, world.office_staff_a)
    form = client.get("/commitments/new/").context["form"]
    assert set(form.fields["agency"].queryset) == {world.a1, world.a2}
    client.post("/commitments/new/", commitment_form(agency=world.a2.pk))
    assert Commitment.objects.get().agency == world.a2


def test_agency_of_another_county_is_refused(client, world):
    login(client, world.office_staff_a)
    response = client.post("/commitments/new/", commitment_form(agency=world.b1.pk))
    assert response.status_code == 200
    assert "agency" in response.context["form"].errors
    assert not Commitment.objects.exists()


def test_missing_fields_are_refused(client, world):
    login(client, world.clerk_a1)
    response = client.post("/commitments/new/", commitment_form(title="", promised_date="x"))
    assert set(response.context["form"].errors) == {"title", "promised_date"}
    assert not Commitment.objects.exists()


@pytest.mark.parametrize("role", ["city_viewer", "evaluator_a"])
def test_city_viewer_and_evaluator_cannot_file(client, world, role):
    login(client, getattr(world, role))
    assert client.get("/commitments/new/").status_code == 403
    assert client.post("/commitments/new/", commitment_form()).status_code == 403
    assert not Commitment.objects.exists()


# Reading -----------------------------------------------------------------------------------


def test_list_is_scoped(client, world):
    a1, a2 = CommitmentFactory(agency=world.a1), CommitmentFactory(agency=world.a2)
    b1, c1 = CommitmentFactory(agency=world.b1), CommitmentFactory(agency=world.c1)

    def listed(user):
        login(client, user)
        return set(client.get("/commitments/").context["object_list"])

    assert listed(world.office_staff_a) == {a1, a2}
    assert listed(world.clerk_a1) == {a1}
    assert listed(world.leader_a1) == {a1}
    assert listed(world.clerk_a2) == {a2}
    assert listed(world.city_viewer) == {a1, a2, b1}
    assert listed(world.platform_admin) >= {a1, a2, b1, c1}
    login(client, world.evaluator_a)
    assert client.get("/commitments/").status_code == 403


def test_city_viewer_reads_without_changing(client, world):
    commitment = CommitmentFactory(agency=world.b1)
    before = snapshot(commitment)
    login(client, world.city_viewer)
    response = client.get(f"/commitments/{commitment.pk}/")
    assert response.status_code == 200
    assert not response.context["can_edit"] and not response.context["can_judge"]
    assert "/commitments/new/" not in page(client.get("/commitments/"))
    assert (
        client.post(
            f"/commitments/{commitment.pk}/evidence/", {"evidence-fulfilment_evidence": "x"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/commitments/{commitment.pk}/status/", {"status-status": "fulfilled"}
        ).status_code
        == 403
    )
    assert snapshot(commitment) == before


def test_filters(client, world):
    today = timezone.localdate()
    overdue = CommitmentFactory(
        agency=world.a1,
        promised_date=today - datetime.timedelta(1),
        category="deadline",
        title="按期兑现奖励资金",
    )
    due_later = CommitmentFactory(agency=world.a2, category="guarantee")
    kept = CommitmentFactory(agency=world.a1, promised_date=today - datetime.timedelta(9))
    services.commitment_set_status(
        commitment=kept, status=CommitmentStatus.FULFILLED, note="", actor=world.office_staff_a
    )
    login(client, world.office_staff_a)

    def listed(**params):
        return set(client.get("/commitments/", params).context["object_list"])

    assert listed(overdue="true") == {overdue}
    assert listed(overdue="false") == {due_later, kept}
    assert listed(status="fulfilled") == {kept}
    assert listed(category="guarantee") == {due_later}
    assert listed(agency=world.a1.pk) == {overdue, kept}
    assert listed(q="奖励资金") == {overdue}
    assert listed(promised_from=str(today)) == {due_later}
    assert page(client.get("/commitments/")).count('data-testid="overdue"') == 1


COMMITMENT_HEADERS = [
    "Agency",
    "Category",
    "Commitment",
    "Content",
    "Promised by",
    "Status",
    "Overdue",
    "Fulfilment evidence",
    "Office's note",
    "Judged at",
    "Public",
    "Failure-of-trust record",
]


def test_export_has_the_headers_and_the_filtered_rows(client, world):
    CommitmentFactory(agency=world.a1, title="甲")
    CommitmentFactory(agency=world.a2, title="乙")
    login(client, world.clerk_a1)
    response = client.get("/commitments/export/")
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert list(rows[0]) == [zh(h) for h in COMMITMENT_HEADERS]
    assert [row[2] for row in rows[1:]] == ["甲"]
    login(client, world.office_staff_a)
    rows = list(
        load_workbook(
            io.BytesIO(client.get("/commitments/export/", {"agency": world.a2.pk}).content)
        ).active.values
    )
    assert [row[2] for row in rows[1:]] == ["乙"]
    assert [
        e.detail["rows"]
        for e in SecurityEvent.objects.filter(kind=SecurityEventKind.EXPORT).order_by("id")
    ] == [1, 1]


# Editing and evidence ----------------------------------------------------------------------


def test_edit_while_in_progress_only(client, world):
    commitment = CommitmentFactory(agency=world.a1)
    login(client, world.clerk_a1)
    response = client.post(
        f"/commitments/{commitment.pk}/edit/", commitment_form(title="企业开办半日办结")
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.title == "企业开办半日办结"
    services.commitment_set_status(
        commitment=commitment,
        status=CommitmentStatus.FULFILLED,
        note="",
        actor=world.office_staff_a,
    )
    before = snapshot(commitment)
    response = client.post(f"/commitments/{commitment.pk}/edit/", commitment_form(title="改"))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        zh("A commitment can be edited only while it is in progress.")
    ]
    assert snapshot(commitment) == before


def test_clerk_cannot_edit_another_agencys_commitment(client, world):
    commitment = CommitmentFactory(agency=world.a2)
    before = snapshot(commitment)
    login(client, world.clerk_a1)
    assert client.get(f"/commitments/{commitment.pk}/").status_code == 404
    assert (
        client.post(f"/commitments/{commitment.pk}/edit/", commitment_form(title="改")).status_code
        == 404
    )
    assert (
        client.post(
            f"/commitments/{commitment.pk}/evidence/", {"evidence-fulfilment_evidence": "x"}
        ).status_code
        == 404
    )
    assert snapshot(commitment) == before


def test_clerk_adds_evidence_text_and_file(client, world):
    commitment = CommitmentFactory(agency=world.a1)
    login(client, world.clerk_a1)
    response = client.post(
        f"/commitments/{commitment.pk}/evidence/",
        {
            "evidence-fulfilment_evidence": "2026年11月已全部办结，平均用时0.6个工作日。",
            "evidence-file": SimpleUploadedFile("办结统计.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.fulfilment_evidence.startswith("2026年11月")
    attachment = CommitmentAttachment.objects.get(commitment=commitment)
    assert attachment.original_name == "办结统计.pdf"
    login(client, world.leader_a1)
    download = client.get(f"/commitments/attachments/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    for role in ("clerk_a2", "office_admin_b"):
        login(client, getattr(world, role))
        assert client.get(f"/commitments/attachments/{attachment.pk}/").status_code == 404


def test_evidence_file_that_is_an_executable_is_refused(client, world):
    commitment = CommitmentFactory(agency=world.a1)
    before = snapshot(commitment)
    login(client, world.clerk_a1)
    response = client.post(
        f"/commitments/{commitment.pk}/evidence/",
        {
            "evidence-fulfilment_evidence": "已办结",
            "evidence-file": SimpleUploadedFile("证明.pdf", EXE, "application/pdf"),
        },
    )
    assert response.status_code == 200
    assert response.context["evidence_form"].errors["file"] == [
        zh("The file's content does not match its type (%(ext)s).") % {"ext": ".pdf"}
    ]
    # Text and file are saved together or not at all.
    assert snapshot(commitment) == before
    assert not CommitmentAttachment.objects.exists()


def test_empty_evidence_is_refused(client, world):
    commitment = CommitmentFactory(agency=world.a1)
    login(client, world.clerk_a1)
    response = client.post(
        f"/commitments/{commitment.pk}/evidence/", {"evidence-fulfilment_evidence": ""}
    )
    assert response.status_code == 200
    assert response.context["evidence_form"].non_field_errors() == [
        zh("Write the evidence or choose a file.")
    ]


# Judgement and the failure-of-trust record -------------------------------------------------


@pytest.mark.parametrize("role", ["clerk_a1", "leader_a1", "city_viewer", "evaluator_a"])
def test_only_the_office_judges(client, world, role):
    commitment = CommitmentFactory(agency=world.a1)
    before = snapshot(commitment)
    login(client, getattr(world, role))
    response = client.post(
        f"/commitments/{commitment.pk}/status/", {"status-status": "fulfilled", "status-note": ""}
    )
    assert response.status_code == 403
    assert snapshot(commitment) == before


def test_other_county_office_gets_404(client, world):
    commitment = CommitmentFactory(agency=world.a1)
    before = snapshot(commitment)
    login(client, world.office_admin_b)
    assert client.get(f"/commitments/{commitment.pk}/").status_code == 404
    assert (
        client.post(
            f"/commitments/{commitment.pk}/status/", {"status-status": "fulfilled"}
        ).status_code
        == 404
    )
    assert snapshot(commitment) == before


def test_office_marks_fulfilled(client, world):
    commitment = CommitmentFactory(agency=world.a1)
    login(client, world.office_staff_a)
    response = client.post(
        f"/commitments/{commitment.pk}/status/",
        {"status-status": "fulfilled", "status-note": "核查属实"},
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert (commitment.status, commitment.status_note) == (CommitmentStatus.FULFILLED, "核查属实")
    assert commitment.status_changed_at is not None
    assert not client.get(f"/commitments/{commitment.pk}/").context["can_record_breach"]


def test_unfulfilled_needs_a_note(client, world):
    commitment = CommitmentFactory(agency=world.a1)
    before = snapshot(commitment)
    login(client, world.office_staff_a)
    response = client.post(
        f"/commitments/{commitment.pk}/status/",
        {"status-status": "unfulfilled", "status-note": " "},
    )
    assert response.status_code == 200
    assert response.context["status_form"].errors["note"] == [
        zh("Say why the commitment is unfulfilled.")
    ]
    assert snapshot(commitment) == before


def test_broken_commitment_becomes_a_linked_record(client, world):
    ensure_defaults(world.county_a)
    commitment = CommitmentFactory(
        agency=world.a1,
        title="招商奖励资金按期兑现",
        category="investment_policy",
        promised_date=datetime.date(2026, 6, 30),
    )
    login(client, world.office_staff_a)
    client.post(
        f"/commitments/{commitment.pk}/status/",
        {"status-status": "unfulfilled", "status-note": "资金至今未拨付"},
    )
    detail = client.get(f"/commitments/{commitment.pk}/")
    assert detail.context["can_record_breach"]
    assert f"/records/new/?commitment={commitment.pk}" in page(detail)

    url = f"/records/new/?commitment={commitment.pk}"
    form = client.get(url).context["form"]
    assert form.initial["subject_type"] == SubjectType.AGENCY
    assert form.initial["agency"] == world.a1
    assert form.initial["source"] == RecordSource.INSPECTION
    assert "招商奖励资金按期兑现" in form.initial["facts"]
    assert "资金至今未拨付" in form.initial["facts"]

    domain = KeyDomain.objects.get(tenant=world.county_a, code="investment_attraction")
    response = client.post(
        url,
        {
            "subject_type": "agency",
            "agency": world.a1.pk,
            "domain": domain.pk,
            "source": "inspection",
            "severity": "general",
            "facts": form.initial["facts"],
            "decision_number": "丰信用办〔2026〕3号",
            "deciding_authority": "县信用办",
            "decision_date": "2026-07-15",
            "publish": "",
        },
    )
    record = TrustRecord.objects.get()
    assert response["Location"] == f"/records/{record.pk}/"
    commitment.refresh_from_db()
    assert commitment.breach_record == record
    assert record.subject_name == world.a1.name and record.is_public

    record_page = client.get(f"/records/{record.pk}/")
    assert record_page.context["commitment"] == commitment
    assert f"/commitments/{commitment.pk}/" in page(record_page)
    commitment_page = client.get(f"/commitments/{commitment.pk}/")
    assert commitment_page.context["breach_record"] == record
    assert not commitment_page.context["can_record_breach"]
    assert not commitment_page.context["can_judge"]

    # A second record for the same commitment is not offered.
    again = client.get(url)
    assert again.status_code == 302 and again["Location"] == f"/records/{record.pk}/"
    assert TrustRecord.objects.count() == 1


def test_commitment_in_progress_does_not_become_a_record(client, world):
    ensure_defaults(world.county_a)
    commitment = CommitmentFactory(agency=world.a1)
    login(client, world.office_staff_a)
    response = client.get(f"/records/new/?commitment={commitment.pk}")
    assert response.status_code == 302
    assert response["Location"] == f"/commitments/{commitment.pk}/"


def test_broken_commitment_of_another_county_is_not_reachable(client, world):
    commitment = CommitmentFactory(agency=world.b1)
    services.commitment_set_status(
        commitment=commitment,
        status=CommitmentStatus.UNFULFILLED,
        note="未兑现",
        actor=world.office_admin_b,
    )
    login(client, world.office_staff_a)
    assert client.get(f"/records/new/?commitment={commitment.pk}").status_code == 404


def test_record_can_be_kept_unpublished_for_a_broken_commitment(client, world):
    ensure_defaults(world.county_a)
    commitment = CommitmentFactory(agency=world.a1)
    services.commitment_set_status(
        commitment=commitment,
        status=CommitmentStatus.UNFULFILLED,
        note="未兑现",
        actor=world.office_staff_a,
    )
    login(client, world.office_staff_a)
    client.post(
        f"/records/new/?commitment={commitment.pk}",
        {
            "subject_type": "agency",
            "agency": world.a1.pk,
            "source": "inspection",
            "severity": "serious",
            "facts": "未兑现",
            "decision_number": "X",
            "deciding_authority": "县信用办",
            "decision_date": "2026-07-15",
            "publish": "no",
        },
    )
    commitment.refresh_from_db()
    assert commitment.breach_record is not None
    assert commitment.breach_record.is_public is False


# A commitment belongs to the agency --------------------------------------------------------


def test_commitment_survives_a_change_of_leader_and_clerk(client, world):
    login(client, world.clerk_a1)
    client.post("/commitments/new/", commitment_form())
    commitment = Commitment.objects.get()

    login(client, world.office_admin_a)
    agency = world.a1
    response = client.post(
        f"/agencies/{agency.pk}/edit/",
        {
            "name": agency.name,
            "kind": agency.kind,
            "credit_code": agency.credit_code,
            "ranking_group": agency.ranking_group,
            "leader_name": "新任局长",
            "contact_name": "",
            "contact_phone": "",
        },
    )
    assert response.status_code == 302
    agency.refresh_from_db()
    assert agency.leader_name == "新任局长"
    assert client.post(f"/users/{world.clerk_a1.pk}/deactivate/").status_code == 302
    world.clerk_a1.refresh_from_db()
    assert not world.clerk_a1.is_active

    new_clerk = UserFactory(
        username="clerk-a1-new", role=Role.AGENCY_CLERK, tenant=world.county_a, agency=agency
    )
    login(client, new_clerk)
    assert commitment in client.get("/commitments/").context["object_list"]
    response = client.post(
        f"/commitments/{commitment.pk}/evidence/",
        {"evidence-fulfilment_evidence": "新任领导班子继续履行，已办结。"},
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.fulfilment_evidence == "新任领导班子继续履行，已办结。"
    assert commitment.agency == agency and commitment.created_by == world.clerk_a1

    login(client, world.leader_a1)
    assert commitment in client.get("/commitments/").context["object_list"]
    assert "新任局长" in page(client.get(f"/commitments/{commitment.pk}/"))
    login(client, world.office_staff_a)
    assert commitment in client.get("/commitments/", {"agency": agency.pk}).context["object_list"]


def test_list_queries_do_not_grow_with_the_rows(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    CommitmentFactory(agency=world.a1)
    login(client, world.city_viewer)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/commitments/").status_code == 200
    for agency in (world.a1, world.a2, world.b1):
        CommitmentFactory(agency=agency)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/commitments/").context["object_list"]) == 4
    assert len(many) == len(few)
