"""Failure-of-trust records, office and agency side: create and edit, the publicity window,
the office's actions and who may take them, masking outside the office, attachments, the list
with its filters and export, and a civil servant's integrity file."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from openpyxl import load_workbook

from accounts.choices import SecurityEventKind
from accounts.models import SecurityEvent
from domains import selectors, services
from domains.choices import RecordStatus, RequestKind, Severity, SubjectType
from domains.models import (
    KeyDomain,
    ProblemType,
    PunishmentMeasure,
    RecordAttachment,
    TrustRecord,
)
from integrity.masking import mask_id_number, mask_name
from integrity.xlsx import XLSX_CONTENT_TYPE
from tests.conftest import login
from tests.factories import TrustRecordFactory, credit_code, ensure_defaults, resident_id

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
PERSON_ID = resident_id(17, birth="19790312")
PERSON = "王建国"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def county_a(world):
    ensure_defaults(world.county_a)
    ensure_defaults(world.county_b)
    return world.county_a


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return str(translation.gettext(text))


def domain_of(tenant, code="government_procurement"):
    return KeyDomain.objects.get(tenant=tenant, code=code)


def problem_type_of(tenant):
    return ProblemType.objects.filter(tenant=tenant).order_by("position").first()


def record_form(world, **overrides) -> dict:
    data = {
        "subject_type": SubjectType.AGENCY,
        "agency": world.a1.pk,
        "subject_name": "",
        "subject_credit_code": "",
        "person_id_number": "",
        "person_position": "",
        "domain": domain_of(world.county_a).pk,
        "problem_type": problem_type_of(world.county_a).pk,
        "source": "administrative_penalty",
        "severity": Severity.SERIOUS,
        "facts": "拖欠某建筑公司工程款 120 万元，经督促仍拒不支付。",
        "decision_number": "丰政罚〔2026〕88号",
        "deciding_authority": "丰宁满族自治县人民政府",
        "decision_date": "2026-06-15",
        "punishment_end": "",
        "publish": "",
    }
    data.update(overrides)
    return data


def civil_servant_record(agency, *, id_number=PERSON_ID, name=PERSON, **kwargs):
    return TrustRecordFactory(
        agency=agency,
        subject_type=SubjectType.CIVIL_SERVANT,
        subject_name=name,
        person_id_number=id_number,
        person_position="副局长",
        facts=f"{name}（身份证号 {id_number}）在招标中违规承诺。",
        **kwargs,
    )


def record_snapshot(record) -> dict:
    return TrustRecord.objects.filter(pk=record.pk).values().get()


def page(response) -> str:
    return response.content.decode()


# Create ------------------------------------------------------------------------------------


def test_office_staff_records_a_serious_record(client, world, county_a):
    login(client, world.office_staff_a)
    assert client.get("/records/new/").status_code == 200
    response = client.post("/records/new/", record_form(world))
    record = TrustRecord.objects.get(decision_number="丰政罚〔2026〕88号")
    assert response.status_code == 302
    assert response["Location"] == f"/records/{record.pk}/"
    assert record.tenant == world.county_a
    assert record.subject_name == "县财政局"
    assert record.subject_credit_code == world.a1.credit_code
    assert record.created_by == world.office_staff_a
    assert (record.publicity_min_end, record.publicity_max_end) == (
        datetime.date(2027, 6, 15),
        datetime.date(2029, 6, 15),
    )
    assert record.is_public and record.status == RecordStatus.ACTIVE
    detail = client.get(response["Location"])
    assert "2027-06-15" in page(detail) and "2029-06-15" in page(detail)
    shown = [str(m) for m in detail.context["messages"]]
    assert any("2029-06-15" in m for m in shown)


@pytest.mark.parametrize(
    ("severity", "min_end", "max_end", "public"),
    [
        (Severity.SERIOUS, datetime.date(2027, 6, 15), datetime.date(2029, 6, 15), True),
        (Severity.GENERAL, datetime.date(2026, 9, 15), datetime.date(2027, 6, 15), True),
        (Severity.LIGHT, datetime.date(2026, 6, 15), datetime.date(2026, 9, 15), False),
    ],
)
def test_publicity_window_follows_the_severity(
    client, world, county_a, severity, min_end, max_end, public
):
    login(client, world.office_staff_a)
    client.post("/records/new/", record_form(world, severity=severity))
    record = TrustRecord.objects.get()
    assert (record.publicity_min_end, record.publicity_max_end) == (min_end, max_end)
    assert record.is_public is public


def test_light_record_published_on_request_stays_at_most_three_months(client, world, county_a):
    login(client, world.office_staff_a)
    client.post("/records/new/", record_form(world, severity=Severity.LIGHT, publish="yes"))
    record = TrustRecord.objects.get()
    assert record.is_public
    assert record.publicity_max_end == datetime.date(2026, 9, 15)


def test_serious_record_can_be_kept_unpublished(client, world, county_a):
    login(client, world.office_staff_a)
    client.post("/records/new/", record_form(world, publish="no"))
    assert TrustRecord.objects.get().is_public is False


def test_window_comes_from_the_rule_in_force_at_the_decision_date(client, world, county_a):
    services.publicity_rule_save(
        tenant=world.county_a,
        actor=world.office_admin_a,
        data={
            "severity": Severity.SERIOUS,
            "effective_from": datetime.date(2026, 7, 1),
            "published_by_default": True,
            "min_months": 24,
            "max_months": 60,
            "basis": "新规",
        },
    )
    login(client, world.office_staff_a)
    for number, decided in (("A", "2026-06-30"), ("B", "2026-07-01")):
        client.post(
            "/records/new/", record_form(world, decision_number=number, decision_date=decided)
        )
    before, after = (
        TrustRecord.objects.get(decision_number="A"),
        TrustRecord.objects.get(decision_number="B"),
    )
    assert (before.publicity_min_end, before.publicity_max_end) == (
        datetime.date(2027, 6, 30),
        datetime.date(2029, 6, 30),
    )
    assert (after.publicity_min_end, after.publicity_max_end) == (
        datetime.date(2028, 7, 1),
        datetime.date(2031, 7, 1),
    )
    assert before.publicity_rule.effective_from == datetime.date(2026, 4, 1)
    assert after.publicity_rule.basis == "新规"


def test_civil_servant_record(client, world, county_a):
    login(client, world.office_staff_a)
    response = client.post(
        "/records/new/",
        record_form(
            world,
            subject_type=SubjectType.CIVIL_SERVANT,
            subject_name=PERSON,
            person_id_number=PERSON_ID.lower(),
            person_position="副局长",
        ),
    )
    assert response.status_code == 302
    record = TrustRecord.objects.get()
    assert (record.subject_name, record.person_id_number, record.agency) == (
        PERSON,
        PERSON_ID.upper(),
        world.a1,
    )


def test_state_enterprise_record(client, world, county_a):
    login(client, world.office_staff_a)
    response = client.post(
        "/records/new/",
        record_form(
            world,
            subject_type=SubjectType.STATE_ENTERPRISE,
            agency="",
            subject_name="县城投公司",
            subject_credit_code=credit_code(4242),
        ),
    )
    assert response.status_code == 302
    record = TrustRecord.objects.get()
    assert (record.subject_name, record.subject_credit_code, record.agency) == (
        "县城投公司",
        credit_code(4242),
        None,
    )


def test_fields_of_another_subject_type_are_not_kept(client, world, county_a):
    login(client, world.office_staff_a)
    client.post(
        "/records/new/",
        record_form(
            world,
            subject_type=SubjectType.GOVERNMENT,
            person_id_number=PERSON_ID,
            person_position="局长",
        ),
    )
    record = TrustRecord.objects.get()
    assert record.subject_name == "丰宁满族自治县人民政府"
    assert (record.agency, record.person_id_number, record.person_position) == (None, "", "")


def _bad_code():
    good = credit_code(4243)
    return good[:-1] + ("1" if good[-1] != "1" else "2")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {
                "subject_type": SubjectType.CIVIL_SERVANT,
                "subject_name": PERSON,
                "person_id_number": PERSON_ID[:-1] + ("0" if PERSON_ID[-1] != "0" else "1"),
            },
            "person_id_number",
            "The check digit of this resident ID number is wrong.",
        ),
        (
            {
                "subject_type": SubjectType.CIVIL_SERVANT,
                "subject_name": PERSON,
                "person_id_number": "",
            },
            "person_id_number",
            "A civil servant's record needs the ID number.",
        ),
        (
            {
                "subject_type": SubjectType.STATE_ENTERPRISE,
                "subject_name": "县城投公司",
                "subject_credit_code": _bad_code(),
            },
            "subject_credit_code",
            "The check character of this unified social credit code is wrong.",
        ),
        (
            {
                "subject_type": SubjectType.STATE_ENTERPRISE,
                "subject_name": "",
                "subject_credit_code": credit_code(4244),
            },
            "subject_name",
            "Enter the name.",
        ),
        ({"agency": ""}, "agency", "Choose the agency."),
        (
            {"decision_date": "2026-06-15", "punishment_end": "2026-06-01"},
            "punishment_end",
            "The punishment period cannot end before the decision.",
        ),
    ],
)
def test_invalid_input_is_refused_and_nothing_written(
    client, world, county_a, overrides, field, message
):
    login(client, world.office_staff_a)
    response = client.post("/records/new/", record_form(world, **overrides))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [zh(message)]
    assert not TrustRecord.objects.exists()


def test_agency_domain_and_problem_type_of_another_county_are_refused(client, world, county_a):
    login(client, world.office_staff_a)
    response = client.post(
        "/records/new/",
        record_form(
            world,
            agency=world.b1.pk,
            domain=domain_of(world.county_b).pk,
            problem_type=problem_type_of(world.county_b).pk,
        ),
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"agency", "domain", "problem_type"}
    assert world.b1.name not in page(response)
    assert not TrustRecord.objects.exists()


def test_inactive_problem_type_is_not_offered(client, world, county_a):
    retired = problem_type_of(world.county_a)
    services.problem_type_save(
        tenant=world.county_a,
        problem_type=retired,
        data={"is_active": False},
        actor=world.office_admin_a,
    )
    login(client, world.office_staff_a)
    form = client.get("/records/new/").context["form"]
    assert retired not in form.fields["problem_type"].queryset
    response = client.post("/records/new/", record_form(world, problem_type=retired.pk))
    assert "problem_type" in response.context["form"].errors
    assert not TrustRecord.objects.exists()


@pytest.mark.parametrize("role", ["clerk_a1", "leader_a1", "city_viewer", "evaluator_a"])
def test_only_the_office_records(client, world, county_a, role):
    login(client, getattr(world, role))
    assert client.get("/records/new/").status_code == 403
    assert client.post("/records/new/", record_form(world)).status_code == 403
    assert not TrustRecord.objects.exists()


# Edit --------------------------------------------------------------------------------------


def test_edit_recomputes_the_window(client, world, county_a):
    record = TrustRecordFactory(agency=world.a1, decision_date=datetime.date(2026, 6, 15))
    login(client, world.office_staff_a)
    form = client.get(f"/records/{record.pk}/edit/").context["form"]
    assert "publish" not in form.fields
    data = record_form(world, severity=Severity.GENERAL, decision_number=record.decision_number)
    response = client.post(f"/records/{record.pk}/edit/", data)
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.severity == Severity.GENERAL
    assert record.publicity_max_end == datetime.date(2027, 6, 15)


@pytest.mark.parametrize("role", ["clerk_a1", "leader_a1", "city_viewer", "evaluator_a"])
def test_other_roles_cannot_edit(client, world, county_a, role):
    record = TrustRecordFactory(agency=world.a1)
    before = record_snapshot(record)
    login(client, getattr(world, role))
    assert client.get(f"/records/{record.pk}/edit/").status_code == 403
    assert (
        client.post(f"/records/{record.pk}/edit/", record_form(world, facts="改")).status_code
        == 403
    )
    assert record_snapshot(record) == before


def test_revoked_record_cannot_be_edited(client, world, county_a):
    record = TrustRecordFactory(agency=world.a1)
    services.record_revoke(record=record, reason="错误", actor=world.office_staff_a)
    before = record_snapshot(record)
    login(client, world.office_staff_a)
    response = client.post(
        f"/records/{record.pk}/edit/",
        record_form(world, decision_number=record.decision_number, facts="改"),
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        zh("Only a record on file can be edited.")
    ]
    assert record_snapshot(record) == before


# The office's actions ----------------------------------------------------------------------


def test_record_lifecycle(client, world, county_a):
    login(client, world.office_staff_a)
    client.post(
        "/records/new/",
        record_form(world, decision_date=str(timezone.localdate() - datetime.timedelta(days=10))),
    )
    record = TrustRecord.objects.get()
    url = f"/records/{record.pk}/"
    assert selectors.public_records().filter(pk=record.pk).exists()

    response = client.post(
        f"{url}measures/",
        {
            "measure-measure_type": "criticism",
            "measure-date": str(timezone.localdate()),
            "measure-issuing_body": "县信用办",
            "measure-note": "全县通报",
        },
    )
    assert response.status_code == 302
    measure = PunishmentMeasure.objects.get(record=record)
    assert measure.get_measure_type_display() == zh("Public notice of criticism")

    response = client.post(
        f"{url}attachments/",
        {"attachment-file": SimpleUploadedFile("处罚决定书.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 302
    assert record.attachments.get().original_name == "处罚决定书.pdf"

    client.post(f"{url}unpublish/")
    record.refresh_from_db()
    assert not record.is_public
    assert not selectors.public_records().filter(pk=record.pk).exists()
    client.post(f"{url}publish/")
    record.refresh_from_db()
    assert record.is_public

    client.post(f"{url}end-publicity/", {"end_publicity-reason": "已整改到位"})
    record.refresh_from_db()
    assert record.publicity_ended_on == timezone.localdate()
    assert record.publicity_end_reason == "已整改到位"
    assert record.status == RecordStatus.ACTIVE and record.sharing_stopped_on is None
    assert not selectors.public_records().filter(pk=record.pk).exists()

    client.post(f"{url}stop-sharing/", {"stop_sharing-reason": "市平台要求"})
    record.refresh_from_db()
    assert record.sharing_stop_reason == "市平台要求"

    client.post(f"/records/measures/{measure.pk}/delete/")
    assert not PunishmentMeasure.objects.filter(pk=measure.pk).exists()

    client.post(f"{url}revoke/", {"revoke-reason": "决定已被撤销"})
    record.refresh_from_db()
    assert record.status == RecordStatus.REVOKED and record.status_reason == "决定已被撤销"

    detail = client.get(url)
    history = detail.context["history"]
    assert [e["label"] for e in history if e["is_record"]][0] == "insert"
    assert all(e["by"] == "os-a" for e in history)
    status_changes = [c for e in history for c in e["changes"] if str(c["field"]) == zh("status")]
    assert status_changes[-1]["before"] == zh("On record")
    assert status_changes[-1]["after"] == zh("Revoked")
    kinds = {(str(e["model"]), e["label"]) for e in history if not e["is_record"]}
    assert (zh("punishment measure"), "insert") in kinds
    assert (zh("punishment measure"), "delete") in kinds
    assert (zh("record attachment"), "insert") in kinds
    assert "决定已被撤销" in page(detail)


def test_reason_is_required_and_nothing_changes(client, world, county_a):
    record = TrustRecordFactory(agency=world.a1)
    before = record_snapshot(record)
    login(client, world.office_staff_a)
    for action, prefix in (
        ("revoke", "revoke"),
        ("end-publicity", "end_publicity"),
        ("stop-sharing", "stop_sharing"),
    ):
        response = client.post(f"/records/{record.pk}/{action}/", {f"{prefix}-reason": "  "})
        assert response.status_code == 200
        assert response.context[f"{prefix}_form"].errors["reason"]
        assert response.context["open_form"] == f"{prefix}_form"
    assert record_snapshot(record) == before


def test_measure_before_the_decision_is_refused(client, world, county_a):
    record = TrustRecordFactory(agency=world.a1)
    login(client, world.office_staff_a)
    response = client.post(
        f"/records/{record.pk}/measures/",
        {
            "measure-measure_type": "admonition",
            "measure-date": str(record.decision_date - datetime.timedelta(days=1)),
            "measure-issuing_body": "县信用办",
        },
    )
    assert response.status_code == 200
    assert response.context["measure_form"].errors["date"] == [
        zh("A measure cannot precede the decision.")
    ]
    assert not PunishmentMeasure.objects.exists()


ACTIONS = [
    ("publish/", {}),
    ("unpublish/", {}),
    ("revoke/", {"revoke-reason": "x"}),
    ("end-publicity/", {"end_publicity-reason": "x"}),
    ("stop-sharing/", {"stop_sharing-reason": "x"}),
    (
        "measures/",
        {
            "measure-measure_type": "admonition",
            "measure-issuing_body": "x",
            "measure-date": str(timezone.localdate()),
        },
    ),
    ("attachments/", {}),
]


@pytest.mark.parametrize("role", ["clerk_a1", "leader_a1", "city_viewer", "evaluator_a"])
def test_other_roles_cannot_take_the_offices_actions(client, world, county_a, role):
    record = TrustRecordFactory(agency=world.a1)
    measure = services.measure_add(
        record=record,
        actor=None,
        data={"measure_type": "admonition", "date": record.decision_date, "issuing_body": "x"},
    )
    before = record_snapshot(record)
    login(client, getattr(world, role))
    for action, data in ACTIONS:
        assert client.post(f"/records/{record.pk}/{action}", data).status_code == 403, action
    assert client.post(f"/records/measures/{measure.pk}/delete/").status_code == 403
    assert record_snapshot(record) == before
    assert PunishmentMeasure.objects.count() == 1


def test_other_county_gets_404_for_every_action(client, world, county_a):
    record = TrustRecordFactory(agency=world.a1)
    before = record_snapshot(record)
    login(client, world.office_admin_b)
    assert client.get(f"/records/{record.pk}/").status_code == 404
    for action, data in ACTIONS:
        assert client.post(f"/records/{record.pk}/{action}", data).status_code == 404, action
    assert record_snapshot(record) == before


def test_agency_roles_read_their_own_agencys_record_without_actions(client, world, county_a):
    record = TrustRecordFactory(agency=world.a1)
    other = TrustRecordFactory(agency=world.a2)
    for role in ("clerk_a1", "leader_a1"):
        login(client, getattr(world, role))
        response = client.get(f"/records/{record.pk}/")
        assert response.status_code == 200
        assert response.context["can_manage"] is False
        assert f"/records/{record.pk}/revoke/" not in page(response)
        assert client.get(f"/records/{other.pk}/").status_code == 404


# Masking outside the office ----------------------------------------------------------------


def test_civil_servants_are_masked_outside_the_office(client, world, county_a):
    record = civil_servant_record(world.a1)
    # A change puts the name and the ID number into the history's before/after as well.
    services.record_update(
        record=record,
        actor=None,
        data={"person_position": "局长", "facts": f"{PERSON}（身份证号 {PERSON_ID}）事实更正。"},
    )
    login(client, world.office_staff_a)
    office_page = page(client.get(f"/records/{record.pk}/"))
    assert PERSON_ID in office_page and PERSON in office_page
    for role in ("clerk_a1", "leader_a1", "city_viewer"):
        login(client, getattr(world, role))
        for url in (f"/records/{record.pk}/", "/records/"):
            text = page(client.get(url))
            assert PERSON_ID not in text, (role, url)
            assert PERSON not in text, (role, url)
        detail = client.get(f"/records/{record.pk}/")
        assert mask_id_number(PERSON_ID) in page(detail)
        assert mask_name(PERSON) in page(detail)
        # The name cannot be found by searching either.
        assert list(client.get("/records/", {"q": PERSON}).context["object_list"]) == []


def test_id_number_next_to_chinese_characters_is_masked_for_agency_roles(client, world, county_a):
    record = civil_servant_record(world.a1)
    facts = f"经查，身份证号{PERSON_ID}的干部违规承诺。"
    services.record_update(record=record, data={"facts": facts}, actor=None)
    login(client, world.clerk_a1)
    assert PERSON_ID not in page(client.get(f"/records/{record.pk}/"))


def test_export_masks_id_numbers_outside_the_office(client, world, county_a):
    civil_servant_record(world.a1)
    login(client, world.office_staff_a)
    office = load_workbook(io.BytesIO(client.get("/records/export/").content)).active
    office_text = repr(list(office.values))
    assert PERSON_ID in office_text and PERSON in office_text
    for role in ("clerk_a1", "city_viewer"):
        login(client, getattr(world, role))
        sheet = load_workbook(io.BytesIO(client.get("/records/export/").content)).active
        text = repr(list(sheet.values))
        assert PERSON_ID not in text and PERSON not in text
        assert mask_id_number(PERSON_ID) in text


# List, filters, export ---------------------------------------------------------------------


def test_list_is_scoped(client, world, county_a):
    ensure_defaults(world.county_c)
    a1, a2 = TrustRecordFactory(agency=world.a1), TrustRecordFactory(agency=world.a2)
    government = TrustRecordFactory(
        tenant=world.county_a, agency=None, subject_type=SubjectType.GOVERNMENT
    )
    b1, c1 = TrustRecordFactory(agency=world.b1), TrustRecordFactory(agency=world.c1)

    def listed(user):
        login(client, user)
        return set(client.get("/records/").context["object_list"])

    assert listed(world.office_staff_a) == {a1, a2, government}
    assert listed(world.clerk_a1) == {a1}
    assert listed(world.leader_a1) == {a1}
    assert listed(world.clerk_a2) == {a2}
    assert listed(world.office_admin_b) == {b1}
    assert listed(world.city_viewer) == {a1, a2, government, b1}
    assert c1 in listed(world.platform_admin)
    login(client, world.evaluator_a)
    assert client.get("/records/").status_code == 403
    assert client.get("/records/export/").status_code == 403


def test_filters_and_ordering(client, world, county_a):
    today = timezone.localdate()
    serious = TrustRecordFactory(
        agency=world.a1, decision_date=today - datetime.timedelta(40), decision_number="严重-1"
    )
    general = TrustRecordFactory(
        agency=world.a2,
        severity=Severity.GENERAL,
        decision_date=today - datetime.timedelta(20),
        decision_number="一般-1",
    )
    light = TrustRecordFactory(
        agency=world.a1,
        severity=Severity.LIGHT,
        decision_date=today - datetime.timedelta(5),
        decision_number="轻微-1",
    )
    services.request_submit(
        record=serious,
        kind=RequestKind.OBJECTION,
        data={"applicant_name": "李四", "applicant_phone": "13812341234", "reason": "事实有误"},
    )
    login(client, world.office_staff_a)

    def listed(**params):
        return list(client.get("/records/", params).context["object_list"])

    assert listed() == [light, general, serious]
    assert listed(severity="general") == [general]
    assert listed(agency=world.a1.pk) == [light, serious]
    assert listed(published="true") == [general, serious]
    assert listed(published="false") == [light]
    assert listed(under_objection="true") == [serious]
    assert listed(q="一般-") == [general]
    assert listed(q="县财政局") == [light, serious]
    assert listed(
        decided_from=str(today - datetime.timedelta(25)),
        decided_to=str(today - datetime.timedelta(10)),
    ) == [general]
    assert listed(o="-severity") == [serious, general, light]
    assert listed(o="severity") == [light, general, serious]
    assert listed(o="decision_date") == [serious, general, light]
    assert listed(o="id; drop table") == [light, general, serious]

    text = page(client.get("/records/"))
    assert text.count('data-testid="under-objection"') == 1
    assert "o=-severity" in text


def test_publicity_status_column(client, world, county_a):
    public = TrustRecordFactory(agency=world.a1)
    unpublished = TrustRecordFactory(agency=world.a1, severity=Severity.LIGHT)
    ended = TrustRecordFactory(agency=world.a1)
    services.record_end_publicity(record=ended, reason="修复", actor=None)
    expired = TrustRecordFactory(
        agency=world.a1, severity=Severity.GENERAL, decision_date=datetime.date(2025, 1, 1)
    )
    stopped = TrustRecordFactory(agency=world.a1)
    services.record_stop_sharing(record=stopped, reason="停止", actor=None)
    login(client, world.office_staff_a)
    states = {r: r.publicity_state for r in client.get("/records/").context["object_list"]}
    assert states == {
        public: "public",
        unpublished: "not_published",
        ended: "ended",
        expired: "ended",
        stopped: "public",
    }
    assert zh("Sharing stopped") in page(client.get(f"/records/{stopped.pk}/"))


RECORD_HEADERS = [
    "Subject type",
    "Failing subject",
    "Unified social credit code",
    "Resident ID number",
    "Position",
    "Agency",
    "Key domain",
    "Problem type",
    "Source",
    "Severity",
    "Facts",
    "Decision document number",
    "Deciding authority",
    "Decision date",
    "Punishment period ends",
    "Minimum publicity ends",
    "Publicity ends at the latest",
    "Publicity",
    "Publicity ended on",
    "Sharing stopped on",
    "Status",
    "Reason for the status",
    "Under objection",
]


def test_export_has_the_headers_and_the_filtered_rows(client, world, county_a):
    TrustRecordFactory(agency=world.a1, decision_number="严重-1")
    TrustRecordFactory(agency=world.a1, severity=Severity.GENERAL, decision_number="一般-1")
    TrustRecordFactory(agency=world.a1, severity=Severity.GENERAL, decision_number="=1+1")
    login(client, world.office_staff_a)
    response = client.get("/records/export/", {"severity": "general"})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert list(rows[0]) == [zh(h) for h in RECORD_HEADERS]
    numbers = {row[RECORD_HEADERS.index("Decision document number")] for row in rows[1:]}
    assert numbers == {"一般-1", "'=1+1"}
    assert {row[RECORD_HEADERS.index("Severity")] for row in rows[1:]} == {zh("General")}
    event = SecurityEvent.objects.get(kind=SecurityEventKind.EXPORT)
    assert event.user == world.office_staff_a
    assert event.detail["what"] == "trust_records" and event.detail["rows"] == 2


def test_city_viewer_export_names_the_jurisdiction(client, world, county_a):
    TrustRecordFactory(agency=world.b1)
    login(client, world.city_viewer)
    rows = list(load_workbook(io.BytesIO(client.get("/records/export/").content)).active.values)
    assert rows[0][0] == zh("Jurisdiction")
    assert rows[1][0] == world.county_b.name


def test_agency_clerk_exports_only_own_agency(client, world, county_a):
    TrustRecordFactory(agency=world.a1, decision_number="A1")
    TrustRecordFactory(agency=world.a2, decision_number="A2")
    login(client, world.clerk_a1)
    rows = list(load_workbook(io.BytesIO(client.get("/records/export/").content)).active.values)
    index = RECORD_HEADERS.index("Decision document number")
    assert [row[index] for row in rows[1:]] == ["A1"]


# Attachments -------------------------------------------------------------------------------


def test_executable_renamed_pdf_is_refused(client, world, county_a):
    record = TrustRecordFactory(agency=world.a1)
    login(client, world.office_staff_a)
    response = client.post(
        f"/records/{record.pk}/attachments/",
        {"attachment-file": SimpleUploadedFile("决定书.pdf", EXE, "application/pdf")},
    )
    assert response.status_code == 200
    assert response.context["attachment_form"].errors["file"] == [
        zh("The file's content does not match its type (%(ext)s).") % {"ext": ".pdf"}
    ]
    assert not RecordAttachment.objects.exists()


def test_exe_extension_is_refused(client, world, county_a):
    record = TrustRecordFactory(agency=world.a1)
    login(client, world.office_staff_a)
    response = client.post(
        f"/records/{record.pk}/attachments/",
        {"attachment-file": SimpleUploadedFile("tool.exe", EXE)},
    )
    assert response.context["attachment_form"].errors["file"]
    assert not RecordAttachment.objects.exists()


def test_path_traversal_name_is_stored_under_a_random_name(client, world, county_a, settings):
    record = TrustRecordFactory(agency=world.a1)
    login(client, world.office_staff_a)
    client.post(
        f"/records/{record.pk}/attachments/",
        {"attachment-file": SimpleUploadedFile("../../etc/passwd.pdf", PDF, "application/pdf")},
    )
    attachment = RecordAttachment.objects.get()
    assert attachment.original_name == "passwd.pdf"
    assert attachment.file.name.startswith(f"attachments/domains/{world.county_a.pk}/")
    assert "passwd" not in attachment.file.name and ".." not in attachment.file.name
    stored = settings.MEDIA_ROOT / attachment.file.name
    assert stored.resolve().is_relative_to(settings.MEDIA_ROOT.resolve())
    response = client.get(f"/records/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="passwd.pdf"'
    assert b"".join(response.streaming_content) == PDF


def test_attachment_is_served_only_to_who_may_read_the_record(client, world, county_a):
    record = TrustRecordFactory(agency=world.a1)
    attachment = services.attachment_add(
        parent=record, actor=None, uploaded=SimpleUploadedFile("决定书.pdf", PDF, "application/pdf")
    )
    url = f"/records/attachments/{attachment.pk}/"
    expected = {
        "office_staff_a": 200,
        "clerk_a1": 200,
        "leader_a1": 200,
        "city_viewer": 200,
        "clerk_a2": 404,
        "office_admin_b": 404,
        "office_admin_c": 404,
        "evaluator_a": 403,
    }
    for role, status in expected.items():
        login(client, getattr(world, role))
        assert client.get(url).status_code == status, role
    client.logout()
    assert client.get(url).status_code == 302


# Integrity file ----------------------------------------------------------------------------


def test_integrity_file_gathers_records_and_measures_across_the_county(client, world, county_a):
    first = civil_servant_record(world.a1)
    second = civil_servant_record(world.a2, severity=Severity.GENERAL)
    services.measure_add(
        record=second,
        actor=None,
        data={
            "measure_type": "appraisal_restriction",
            "date": second.decision_date,
            "issuing_body": "县纪委监委",
        },
    )
    elsewhere = civil_servant_record(world.b1)
    someone_else = civil_servant_record(world.a1, id_number=resident_id(18), name="赵敏")
    login(client, world.office_staff_a)
    assert client.get("/integrity-files/").status_code == 200
    response = client.post("/integrity-files/", {"q": PERSON_ID})
    assert response.status_code == 200
    assert set(response.context["file_records"]) == {first, second}
    assert elsewhere not in response.context["file_records"]
    assert someone_else not in response.context["file_records"]
    text = page(response)
    assert PERSON_ID in text and zh("Restriction in appraisal and promotion") in text
    assert response.context["measure_count"] == 1
    assert response.context["agencies"] == sorted([world.a1.name, world.a2.name])
    # Opening the file from a record keeps the ID number out of the address.
    by_record = client.get("/integrity-files/", {"record": first.pk})
    assert set(by_record.context["file_records"]) == {first, second}
    assert client.get("/integrity-files/", {"record": elsewhere.pk}).status_code == 404


def test_integrity_file_by_name(client, world, county_a):
    record = civil_servant_record(world.a1)
    civil_servant_record(world.a2, id_number=resident_id(19), name="王建军")
    login(client, world.office_staff_a)
    people = client.post("/integrity-files/", {"q": "王建"}).context["people"]
    assert {p["person_id_number"] for p in people} == {PERSON_ID, resident_id(19)}
    mine = next(p for p in people if p["person_id_number"] == PERSON_ID)
    assert (mine["name"], mine["records"], mine["record_id"]) == (PERSON, 1, record.pk)


def test_integrity_file_refuses_an_invalid_id_number(client, world, county_a):
    login(client, world.office_staff_a)
    bad = PERSON_ID[:-1] + ("0" if PERSON_ID[-1] != "0" else "1")
    response = client.post("/integrity-files/", {"q": bad})
    assert response.context["form"].errors["q"] == [
        zh("The check digit of this resident ID number is wrong.")
    ]
    assert "file_records" not in response.context


@pytest.mark.parametrize("role", ["clerk_a1", "leader_a1", "city_viewer", "evaluator_a"])
def test_integrity_file_is_for_the_office_only(client, world, county_a, role):
    record = civil_servant_record(world.a1)
    login(client, getattr(world, role))
    assert client.get("/integrity-files/").status_code == 403
    assert client.get("/integrity-files/", {"record": record.pk}).status_code == 403
    assert client.post("/integrity-files/", {"q": PERSON_ID}).status_code == 403


def test_list_queries_do_not_grow_with_the_rows(client, world, county_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    domain = domain_of(world.county_a)
    TrustRecordFactory(agency=world.a1, domain=domain)
    login(client, world.city_viewer)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/records/").status_code == 200
    for agency in (world.a1, world.a2, world.b1, world.a2):
        TrustRecordFactory(
            agency=agency,
            domain=domain if agency != world.b1 else None,
            problem_type=problem_type_of(agency.tenant),
        )
    civil_servant_record(world.a2)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/records/").context["object_list"]) == 6
    assert len(many) == len(few)
