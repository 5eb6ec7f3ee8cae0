"""Configuration pages: key domains and their ledger fields, problem types, publicity rules,
credit settings and working-day overrides, through the views."""

import datetime
import io

import pytest
from django.utils import translation
from django.utils.html import escape
from openpyxl import load_workbook
from pghistory.models import Events

from accounts.choices import SecurityEventKind
from accounts.models import SecurityEvent
from domains import services
from domains.choices import Severity
from domains.models import CreditSettings, DomainField, KeyDomain, ProblemType, PublicityRule
from domains.views.config import domain_columns, problem_type_columns, rule_in_force
from integrity.models import WorkdayOverride
from integrity.workdays import add_workdays
from tests.conftest import login
from tests.factories import AgencyFactory, TrustRecordFactory, ensure_defaults

pytestmark = pytest.mark.django_db


@pytest.fixture
def cw(world):
    """The world with the default configuration of counties A, B and C."""
    for tenant in (world.county_a, world.county_b, world.county_c):
        ensure_defaults(tenant)
    return world


def domain(tenant, code="government_procurement"):
    return KeyDomain.objects.get(tenant=tenant, code=code)


def events(obj, label=None):
    found = Events.objects.tracks(obj)
    return found.filter(pgh_label=label) if label else found


def domain_form(d, **overrides):
    data = {
        "code": d.code,
        "name": d.name,
        "description": d.description,
        "position": d.position,
        "lead_units": [],
        "responsible_units": [],
    }
    if d.is_active:
        data["is_active"] = "on"
    data.update(overrides)
    return data


def zh(columns_function, *args):
    with translation.override("zh-hans"):
        return columns_function(*args)


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


def sheet_rows(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# Key domains ------------------------------------------------------------------------------


def test_domain_list_shows_own_county_with_units_and_field_count(client, cw):
    procurement = domain(cw.county_a)
    services.domain_save(
        tenant=cw.county_a,
        domain=procurement,
        actor=None,
        data={"lead_units": [cw.a1], "responsible_units": [cw.a2]},
    )
    DomainField.objects.create(
        tenant=cw.county_a, domain=procurement, key="amount", label="合同金额", field_type="money"
    )
    services.domain_save(
        tenant=cw.county_b, domain=domain(cw.county_b), actor=None, data={"name": "隆化县采购领域"}
    )
    login(client, cw.office_admin_a)
    response = client.get("/domains/")
    assert response.status_code == 200
    page = response.content.decode()
    rows = list(response.context["object_list"])
    assert [d.tenant_id for d in rows] == [cw.county_a.pk] * 7
    assert "隆化县采购领域" not in page
    row = next(d for d in rows if d.pk == procurement.pk)
    assert row.field_count == 1
    assert "县财政局" in page and "大阁镇" in page
    assert f"/domains/{procurement.pk}/edit/" in page


@pytest.mark.parametrize("role", ["office_staff_a", "clerk_a1", "leader_a1", "evaluator_a"])
def test_every_role_of_the_county_reads_domains_without_edit_links(client, cw, role):
    login(client, getattr(cw, role))
    response = client.get("/domains/")
    assert response.status_code == 200
    assert len(response.context["object_list"]) == 7
    assert not response.context["can_manage"]
    assert "/domains/new/" not in response.content.decode()
    detail = client.get(f"/domains/{domain(cw.county_a).pk}/")
    assert detail.status_code == 200 and not detail.context["can_manage"]


def test_city_viewer_reads_the_counties_of_its_city_only(client, cw):
    login(client, cw.city_viewer)
    response = client.get("/domains/")
    tenants = {d.tenant_id for d in response.context["object_list"]}
    assert tenants == {cw.county_a.pk, cw.county_b.pk}
    assert response.context["multi_tenant"]
    filtered = client.get("/domains/", {"tenant": cw.county_b.pk})
    assert {d.tenant_id for d in filtered.context["object_list"]} == {cw.county_b.pk}
    assert client.get(f"/domains/{domain(cw.county_c).pk}/").status_code == 404
    assert client.get(f"/domains/{domain(cw.county_a).pk}/edit/").status_code == 403


def test_office_admin_edits_a_domain_and_its_units(client, cw):
    target = domain(cw.county_a)
    login(client, cw.office_admin_a)
    page = client.get(f"/domains/{target.pk}/edit/").content.decode()
    assert 'name="lead_units"' in page and "县财政局" in page
    response = client.post(
        f"/domains/{target.pk}/edit/",
        domain_form(
            target,
            name="政府采购（含集中采购）",
            description="说明",
            position=9,
            lead_units=[cw.a1.pk],
            responsible_units=[cw.a1.pk, cw.a2.pk],
            is_active="",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == f"/domains/{target.pk}/"
    target.refresh_from_db()
    assert target.name == "政府采购（含集中采购）" and target.position == 9
    assert not target.is_active
    assert target.code == "government_procurement"
    assert list(target.lead_units.all()) == [cw.a1]
    assert set(target.responsible_units.all()) == {cw.a1, cw.a2}
    update = events(target, "update").get()
    assert update.pgh_diff["name"] == ["政府采购", "政府采购（含集中采购）"]
    assert update.pgh_context["username"] == "oa-a"
    # Unticking a unit removes it, and the removal is audited too.
    client.post(
        f"/domains/{target.pk}/edit/",
        domain_form(target, lead_units=[], responsible_units=[cw.a2.pk]),
    )
    assert not target.lead_units.exists()
    assert list(target.responsible_units.all()) == [cw.a2]
    assert (
        Events.objects.filter(pgh_model="domains.DomainLeadUnitEvent", pgh_label="delete").count()
        == 1
    )


def test_the_code_of_a_domain_cannot_be_changed(client, cw):
    target = domain(cw.county_a)
    login(client, cw.office_admin_a)
    client.post(f"/domains/{target.pk}/edit/", domain_form(target, code="hacked"))
    target.refresh_from_db()
    assert target.code == "government_procurement"


def test_units_are_chosen_from_the_countys_active_agencies(client, cw):
    inactive = AgencyFactory(tenant=cw.county_a, name="已撤并单位", is_active=False)
    target = domain(cw.county_a)
    login(client, cw.office_admin_a)
    page = client.get(f"/domains/{target.pk}/edit/").content.decode()
    assert "已撤并单位" not in page and "隆化县财政局" not in page
    for agency in (inactive, cw.b1):
        response = client.post(
            f"/domains/{target.pk}/edit/", domain_form(target, name="改名", lead_units=[agency.pk])
        )
        assert response.status_code == 400
        assert response.context["form"].errors["lead_units"]
    target.refresh_from_db()
    assert target.name == "政府采购" and not target.lead_units.exists()
    assert not events(target, "update").exists()


def test_a_unit_deactivated_since_stays_listed_and_chosen(client, cw):
    target = domain(cw.county_a)
    services.domain_save(
        tenant=cw.county_a, domain=target, actor=None, data={"lead_units": [cw.a2]}
    )
    cw.a2.is_active = False
    cw.a2.save()
    login(client, cw.office_admin_a)
    form = client.get(f"/domains/{target.pk}/edit/").context["form"]
    assert cw.a2.pk in form.initial["lead_units"]
    client.post(f"/domains/{target.pk}/edit/", domain_form(target, lead_units=[cw.a2.pk]))
    assert list(target.lead_units.all()) == [cw.a2]


def test_office_admin_creates_a_domain_with_an_assigned_code(client, cw):
    login(client, cw.office_admin_a)
    response = client.post(
        "/domains/new/",
        {
            "code": "",
            "name": "乡村振兴",
            "description": "",
            "position": 10,
            "is_active": "on",
            "lead_units": [cw.a2.pk],
        },
    )
    assert response.status_code == 302
    created = KeyDomain.objects.get(tenant=cw.county_a, name="乡村振兴")
    assert created.code == "domain_1"
    assert list(created.lead_units.all()) == [cw.a2]
    assert events(created, "insert").exists()
    client.post("/domains/new/", {"code": "rural_credit", "name": "农村信用", "position": 11})
    assert KeyDomain.objects.get(tenant=cw.county_a, name="农村信用").code == "rural_credit"


def test_a_duplicate_domain_name_is_refused(client, cw):
    login(client, cw.office_admin_a)
    before = KeyDomain.objects.count()
    response = client.post("/domains/new/", {"code": "", "name": "政府采购", "position": 1})
    assert response.status_code == 400
    assert response.context["form"].errors
    assert KeyDomain.objects.count() == before
    # The same name in another county is fine (names are unique per jurisdiction).
    login(client, cw.office_admin_b)
    assert client.post("/domains/new/", {"name": "乡村振兴", "position": 1}).status_code == 302
    login(client, cw.office_admin_a)
    assert client.post("/domains/new/", {"name": "乡村振兴", "position": 1}).status_code == 302


@pytest.mark.parametrize("role", ["office_staff_a", "clerk_a1", "evaluator_a", "city_viewer"])
def test_only_the_office_admin_changes_domains(client, cw, role):
    target = domain(cw.county_a)
    login(client, getattr(cw, role))
    assert client.get("/domains/new/").status_code == 403
    assert client.post("/domains/new/", {"name": "新领域", "position": 1}).status_code == 403
    assert (
        client.post(f"/domains/{target.pk}/edit/", domain_form(target, name="改名")).status_code
        == 403
    )
    assert client.get(f"/domains/{target.pk}/fields/new/").status_code == 403
    target.refresh_from_db()
    assert target.name == "政府采购"
    assert not KeyDomain.objects.filter(name="新领域").exists()


def test_another_countys_domain_is_not_found(client, cw):
    other = domain(cw.county_b)
    login(client, cw.office_admin_a)
    assert client.get(f"/domains/{other.pk}/").status_code == 404
    assert (
        client.post(f"/domains/{other.pk}/edit/", domain_form(other, name="改名")).status_code
        == 404
    )
    assert (
        client.post(
            f"/domains/{other.pk}/fields/new/", {"label": "x", "field_type": "text"}
        ).status_code
        == 404
    )
    other.refresh_from_db()
    assert other.name == "政府采购" and not other.fields.exists()


def test_platform_admin_chooses_the_jurisdiction_to_create_in(client, cw):
    login(client, cw.platform_admin)
    page = client.get("/domains/new/")
    assert page.status_code == 200 and page.context["form"] is None
    assert client.post("/domains/new/", {"name": "平台建", "position": 1}).status_code == 400
    response = client.post(
        f"/domains/new/?tenant={cw.county_c.pk}", {"name": "平台建", "position": 1}
    )
    assert response.status_code == 302
    assert KeyDomain.objects.get(name="平台建").tenant == cw.county_c


def test_domain_export_has_the_views_headers_and_only_the_filtered_rows(client, cw):
    services.domain_save(
        tenant=cw.county_a,
        domain=domain(cw.county_a),
        actor=None,
        data={"lead_units": [cw.a1], "responsible_units": [cw.a1, cw.a2]},
    )
    login(client, cw.clerk_a1)
    book = workbook(client.get("/domains/export/", {"is_active": "false"}))
    rows = sheet_rows(book.worksheets[0])
    assert rows[0] == zh(domain_columns, False)
    assert [r[1] for r in rows[1:]] == ["街道和乡镇政务诚信"]
    book = workbook(client.get("/domains/export/", {"q": "县财政局"}))
    rows = sheet_rows(book.worksheets[0])
    assert [r[1] for r in rows[1:]] == ["政府采购"]
    assert rows[1][4] == "县财政局" and rows[1][5] == "县财政局、大阁镇"
    event = SecurityEvent.objects.get(
        kind=SecurityEventKind.EXPORT, detail__filters={"q": "县财政局"}
    )
    assert event.detail["what"] == "key_domains" and event.detail["rows"] == 1
    assert event.user == cw.clerk_a1
    login(client, cw.city_viewer)
    rows = sheet_rows(workbook(client.get("/domains/export/")).worksheets[0])
    assert rows[0] == zh(domain_columns, True)
    assert {r[0] for r in rows[1:]} == {cw.county_a.name, cw.county_b.name}


# Extra ledger fields ----------------------------------------------------------------------


def field_form(**overrides):
    data = {
        "label": "合同金额",
        "key": "",
        "field_type": "money",
        "choices": "",
        "help_text": "",
        "position": 1,
    }
    data.update(overrides)
    return data


def test_office_admin_adds_edits_and_deletes_ledger_fields(client, cw):
    target = domain(cw.county_a, "investment_attraction")
    login(client, cw.office_admin_a)
    blank = client.get(f"/domains/{target.pk}/fields/new/")
    assert blank.context["form"].initial["choices"] == ""
    assert "[]" not in blank.content.decode()
    response = client.post(
        f"/domains/{target.pk}/fields/new/",
        field_form(
            label="签约方式",
            key="signing",
            field_type="choice",
            choices="框架协议\n\n 正式合同 \n",
            required="on",
        ),
    )
    assert response.status_code == 302 and response["Location"] == f"/domains/{target.pk}/"
    field = DomainField.objects.get(domain=target, key="signing")
    assert field.choices == ["框架协议", "正式合同"] and field.required
    assert field.tenant == cw.county_a
    auto = client.post(f"/domains/{target.pk}/fields/new/", field_form())
    assert auto.status_code == 302
    assert DomainField.objects.get(domain=target, label="合同金额").key == "field_1"
    page = client.get(f"/domains/{target.pk}/").content.decode()
    assert "签约方式" in page and "框架协议、正式合同" in page
    # Edit: the options show one per line; the key stays.
    edit = client.get(f"/domains/fields/{field.pk}/edit/")
    assert edit.context["form"].initial["choices"] == "框架协议\n正式合同"
    response = client.post(
        f"/domains/fields/{field.pk}/edit/",
        field_form(
            label="签约形式",
            key="renamed",
            field_type="choice",
            choices="框架协议\n正式合同\n补充协议",
        ),
    )
    assert response.status_code == 302
    field.refresh_from_db()
    assert field.label == "签约形式" and field.key == "signing"
    assert field.choices == ["框架协议", "正式合同", "补充协议"] and not field.required
    assert events(field, "update").get().pgh_diff["label"] == ["签约方式", "签约形式"]
    assert client.get(f"/domains/fields/{field.pk}/delete/").status_code == 405
    assert client.post(f"/domains/fields/{field.pk}/delete/").status_code == 302
    assert not DomainField.objects.filter(pk=field.pk).exists()
    assert events(field, "delete").exists()


@pytest.mark.parametrize(
    "data, error_field",
    [
        ({"field_type": "choice", "choices": ""}, "choices"),
        ({"field_type": "choice", "choices": "唯一选项"}, "choices"),
        ({"field_type": "choice", "choices": "甲\n甲"}, "choices"),
        ({"field_type": "number", "choices": "甲\n乙"}, "choices"),
        ({"field_type": "spreadsheet"}, "field_type"),
        ({"label": ""}, "label"),
        ({"key": "合同 金额"}, "key"),
    ],
)
def test_bad_ledger_fields_are_refused(client, cw, data, error_field):
    target = domain(cw.county_a)
    login(client, cw.office_admin_a)
    response = client.post(f"/domains/{target.pk}/fields/new/", field_form(**data))
    assert response.status_code == 400
    assert response.context["form"].errors[error_field]
    assert not DomainField.objects.exists()


def test_a_duplicate_field_key_is_refused(client, cw):
    target = domain(cw.county_a)
    login(client, cw.office_admin_a)
    client.post(f"/domains/{target.pk}/fields/new/", field_form(key="amount"))
    response = client.post(
        f"/domains/{target.pk}/fields/new/", field_form(key="amount", label="另一个")
    )
    assert response.status_code == 400 and response.context["form"].errors
    assert DomainField.objects.filter(domain=target).count() == 1


def test_ledger_fields_of_another_county_are_not_found(client, cw):
    other = DomainField.objects.create(
        tenant=cw.county_b,
        domain=domain(cw.county_b),
        key="amount",
        label="金额",
        field_type="money",
    )
    login(client, cw.office_admin_a)
    assert (
        client.post(f"/domains/fields/{other.pk}/edit/", field_form(label="改")).status_code == 404
    )
    assert client.post(f"/domains/fields/{other.pk}/delete/").status_code == 404
    other.refresh_from_db()
    assert other.label == "金额"


# Problem types ----------------------------------------------------------------------------


def test_problem_types_are_listed_created_and_edited(client, cw):
    login(client, cw.office_admin_a)
    response = client.get("/settings/problem-types/")
    assert [p.name for p in response.context["object_list"]][0] == "拖欠民营企业、中小企业账款"
    assert len(response.context["object_list"]) == 4
    created = client.post(
        "/settings/problem-types/new/",
        {"name": "违规举债", "description": "违法违规举借债务", "is_active": "on", "position": 5},
    )
    assert created.status_code == 302
    item = ProblemType.objects.get(tenant=cw.county_a, name="违规举债")
    assert events(item, "insert").exists()
    response = client.post(
        f"/settings/problem-types/{item.pk}/edit/",
        {"name": "违法违规举债", "description": "", "position": 5},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.name == "违法违规举债" and not item.is_active
    assert events(item, "update").get().pgh_diff["is_active"] == [True, False]
    inactive = client.get("/settings/problem-types/", {"is_active": "false"})
    assert [p.name for p in inactive.context["object_list"]] == ["违法违规举债"]


def test_a_duplicate_problem_type_is_refused(client, cw):
    login(client, cw.office_admin_a)
    response = client.post("/settings/problem-types/new/", {"name": "新官不理旧账", "position": 1})
    assert response.status_code == 400 and response.context["form"].errors
    assert ProblemType.objects.filter(tenant=cw.county_a).count() == 4


@pytest.mark.parametrize("role", ["office_staff_a", "clerk_a1", "city_viewer"])
def test_problem_types_are_read_only_below_the_office_admin(client, cw, role):
    item = ProblemType.objects.filter(tenant=cw.county_a).first()
    login(client, getattr(cw, role))
    assert client.get("/settings/problem-types/").status_code == 200
    assert (
        client.post("/settings/problem-types/new/", {"name": "x", "position": 1}).status_code == 403
    )
    assert (
        client.post(
            f"/settings/problem-types/{item.pk}/edit/", {"name": "x", "position": 1}
        ).status_code
        == 403
    )
    assert ProblemType.objects.filter(tenant=cw.county_a).count() == 4


def test_problem_type_export(client, cw):
    login(client, cw.office_staff_a)
    rows = sheet_rows(
        workbook(client.get("/settings/problem-types/export/", {"q": "旧账"})).worksheets[0]
    )
    assert rows[0] == zh(problem_type_columns, False)
    assert [r[1] for r in rows[1:]] == ["新官不理旧账"]


# Publicity rules and credit settings ------------------------------------------------------


def rule_form(**overrides):
    data = {
        "severity": "serious",
        "effective_from": "2027-01-01",
        "published_by_default": "on",
        "min_months": 6,
        "max_months": 24,
        "basis": "省级实施办法",
    }
    data.update(overrides)
    return data


def test_rule_list_groups_by_severity_and_marks_the_rule_in_force(client, cw):
    login(client, cw.office_admin_a)
    client.post("/settings/publicity-rules/new/", rule_form())
    client.post(
        "/settings/publicity-rules/new/",
        rule_form(effective_from="2020-01-01", min_months=12, max_months=36, basis="旧规定"),
    )
    response = client.get("/settings/publicity-rules/")
    assert response.status_code == 200
    [group] = response.context["groups"]
    assert [s["label"] for s in group["severities"]] == [label for _v, label in Severity.choices]
    serious = group["severities"][2]["rows"]
    assert [(str(r["rule"].effective_from), r["in_force"], r["upcoming"]) for r in serious] == [
        ("2027-01-01", False, True),
        ("2026-04-01", True, False),
        ("2020-01-01", False, False),
    ]
    with translation.override("zh-hans"):
        explainer = escape(
            translation.gettext(
                "Adding or changing a rule does not change records already on file: they keep the "
                "publicity window they were given when recorded."
            )
        )
    assert explainer in response.content.decode()
    assert group["settings"].objection_workdays == 5


def test_rule_in_force_agrees_with_the_service(cw):
    today = datetime.date.today()
    for severity in ("light", "general", "serious"):
        rules = list(PublicityRule.objects.filter(tenant=cw.county_a, severity=severity))
        for day in (datetime.date(2020, 1, 1), datetime.date(2026, 4, 1), today):
            assert rule_in_force(rules, day) == services.publicity_rule_for(
                tenant=cw.county_a, severity=severity, decision_date=day
            )


def test_a_new_rule_applies_to_records_decided_from_its_effective_date(client, cw):
    login(client, cw.office_admin_a)
    effective = datetime.date.today() - datetime.timedelta(days=10)
    response = client.post(
        "/settings/publicity-rules/new/",
        rule_form(effective_from=effective.isoformat(), min_months=6, max_months=24),
    )
    assert response.status_code == 302
    rule = PublicityRule.objects.get(tenant=cw.county_a, effective_from=effective)
    assert events(rule, "insert").get().pgh_context["username"] == "oa-a"
    before = TrustRecordFactory(agency=cw.a1, decision_date=effective - datetime.timedelta(1))
    after = TrustRecordFactory(agency=cw.a1, decision_date=effective)
    assert before.publicity_rule.effective_from == datetime.date(2026, 4, 1)
    assert after.publicity_rule == rule
    assert after.publicity_max_end.year * 12 + after.publicity_max_end.month == (
        effective.year * 12 + effective.month + 24
    )


@pytest.mark.parametrize(
    "data, error_field",
    [
        ({"min_months": 13, "max_months": 12}, "min_months"),
        ({"max_months": 0, "min_months": 0}, "max_months"),
        ({"effective_from": "明年"}, "effective_from"),
        ({"severity": "fatal"}, "severity"),
    ],
)
def test_bad_rules_are_refused(client, cw, data, error_field):
    login(client, cw.office_admin_a)
    response = client.post("/settings/publicity-rules/new/", rule_form(**data))
    assert response.status_code == 400
    assert response.context["form"].errors[error_field]
    assert PublicityRule.objects.filter(tenant=cw.county_a).count() == 3


def test_a_second_rule_for_the_same_severity_and_date_is_refused(client, cw):
    login(client, cw.office_admin_a)
    response = client.post("/settings/publicity-rules/new/", rule_form(effective_from="2026-04-01"))
    assert response.status_code == 400 and response.context["form"].errors
    assert PublicityRule.objects.filter(tenant=cw.county_a).count() == 3


def test_a_rule_is_edited(client, cw):
    rule = PublicityRule.objects.get(tenant=cw.county_a, severity="light")
    login(client, cw.office_admin_a)
    response = client.post(
        f"/settings/publicity-rules/{rule.pk}/edit/",
        rule_form(
            severity="light",
            effective_from="2026-04-01",
            published_by_default="",
            min_months=0,
            max_months=2,
        ),
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.max_months == 2
    assert events(rule, "update").get().pgh_diff["max_months"] == [3, 2]
    bad = client.post(
        f"/settings/publicity-rules/{rule.pk}/edit/",
        rule_form(severity="light", effective_from="2026-04-01", min_months=5, max_months=2),
    )
    assert bad.status_code == 400
    rule.refresh_from_db()
    assert (rule.min_months, rule.max_months) == (0, 2)


@pytest.mark.parametrize("role", ["office_staff_a", "clerk_a1", "city_viewer"])
def test_rules_and_deadlines_are_read_only_below_the_office_admin(client, cw, role):
    rule = PublicityRule.objects.filter(tenant=cw.county_a).first()
    login(client, getattr(cw, role))
    assert client.get("/settings/publicity-rules/").status_code == 200
    assert client.post("/settings/publicity-rules/new/", rule_form()).status_code == 403
    assert client.post(f"/settings/publicity-rules/{rule.pk}/edit/", rule_form()).status_code == 403
    assert client.get("/settings/credit/").status_code == 403
    assert (
        client.post(
            "/settings/credit/", {"objection_workdays": 3, "repair_workdays": 10}
        ).status_code
        == 403
    )
    assert PublicityRule.objects.filter(tenant=cw.county_a).count() == 3
    assert CreditSettings.objects.get(tenant=cw.county_a).objection_workdays == 5


def test_city_viewer_sees_the_rules_of_its_counties(client, cw):
    login(client, cw.city_viewer)
    groups = client.get("/settings/publicity-rules/").context["groups"]
    assert [g["tenant"] for g in groups] == sorted([cw.county_a, cw.county_b], key=lambda t: t.name)
    assert not any(g["can_edit"] for g in groups)


def test_credit_settings_are_changed_and_bad_values_refused(client, cw):
    login(client, cw.office_admin_a)
    form = client.get("/settings/credit/").context["form"]
    assert form.initial == {"objection_workdays": 5, "repair_workdays": 15}
    response = client.post("/settings/credit/", {"objection_workdays": 3, "repair_workdays": 10})
    assert response.status_code == 302
    row = CreditSettings.objects.get(tenant=cw.county_a)
    assert (row.objection_workdays, row.repair_workdays) == (3, 10)
    assert events(row, "update").get().pgh_diff["objection_workdays"] == [5, 3]
    for bad in (
        {"objection_workdays": 0, "repair_workdays": 10},
        {"objection_workdays": 31, "repair_workdays": 10},
        {"objection_workdays": 3, "repair_workdays": ""},
    ):
        assert client.post("/settings/credit/", bad).status_code == 400
    row.refresh_from_db()
    assert (row.objection_workdays, row.repair_workdays) == (3, 10)
    assert CreditSettings.objects.get(tenant=cw.county_b).objection_workdays == 5


# Working-day overrides --------------------------------------------------------------------

FRIDAY, SATURDAY = datetime.date(2026, 6, 12), datetime.date(2026, 6, 13)


def test_an_override_makes_a_saturday_a_working_day(client, cw):
    assert add_workdays(FRIDAY, 1, tenant=cw.county_a) == datetime.date(2026, 6, 15)
    login(client, cw.office_admin_a)
    response = client.post(
        "/settings/workdays/", {"date": SATURDAY.isoformat(), "is_workday": "1", "note": "县里调休"}
    )
    assert response.status_code == 302
    override = WorkdayOverride.objects.get(tenant=cw.county_a, date=SATURDAY)
    assert override.is_workday and override.note == "县里调休"
    assert add_workdays(FRIDAY, 1, tenant=cw.county_a) == SATURDAY
    assert add_workdays(FRIDAY, 1, tenant=cw.county_b) == datetime.date(2026, 6, 15)
    insert = events(override, "insert").get()
    assert insert.pgh_context["username"] == "oa-a"
    page = client.get("/settings/workdays/").content.decode()
    assert "2026-06-13" in page and "县里调休" in page
    # Deleting it restores the national calendar.
    assert client.post(f"/settings/workdays/{override.pk}/delete/").status_code == 302
    assert add_workdays(FRIDAY, 1, tenant=cw.county_a) == datetime.date(2026, 6, 15)
    assert events(override, "delete").exists()


def test_a_local_holiday_and_replacing_an_override(client, cw):
    monday = datetime.date(2026, 6, 15)
    login(client, cw.office_admin_a)
    client.post(
        "/settings/workdays/", {"date": monday.isoformat(), "is_workday": "0", "note": "地方节日"}
    )
    assert add_workdays(FRIDAY, 1, tenant=cw.county_a) == datetime.date(2026, 6, 16)
    client.post("/settings/workdays/", {"date": SATURDAY.isoformat(), "is_workday": "1"})
    assert add_workdays(FRIDAY, 1, tenant=cw.county_a) == SATURDAY
    # The same date again replaces the override (here: not needed any more → refused with
    # a pointer to deleting it).
    response = client.post("/settings/workdays/", {"date": SATURDAY.isoformat(), "is_workday": "0"})
    assert response.status_code == 400
    assert response.context["form"].errors["is_workday"]
    assert WorkdayOverride.objects.get(tenant=cw.county_a, date=SATURDAY).is_workday


def test_an_override_equal_to_the_national_calendar_is_refused(client, cw):
    login(client, cw.office_admin_a)
    for data in (
        {"date": "2026-06-15", "is_workday": "1"},
        {"date": SATURDAY.isoformat(), "is_workday": "0"},
        {"date": "2026-10-01", "is_workday": "0"},
        {"date": "", "is_workday": "1"},
        {"date": "2026-06-14", "is_workday": "maybe"},
    ):
        response = client.post("/settings/workdays/", data)
        assert response.status_code == 400, data
        assert response.context["form"].errors
    assert not WorkdayOverride.objects.exists()


def test_the_next_thirty_days_follow_the_overrides(client, cw):
    today = datetime.date.today()
    saturday = today + datetime.timedelta(days=(5 - today.weekday()) % 7 or 7)
    from integrity.services import national_is_workday

    login(client, cw.office_admin_a)
    wanted = not national_is_workday(saturday)
    client.post(
        "/settings/workdays/", {"date": saturday.isoformat(), "is_workday": "1" if wanted else "0"}
    )
    response = client.get("/settings/workdays/")
    days = [d for week in response.context["weeks"] for d in week if d]
    assert len(days) == 30 and days[0]["date"] == today
    cell = next(d for d in days if d["date"] == saturday)
    assert cell["workday"] is wanted and cell["override"]
    assert f'data-date="{saturday.isoformat()}" data-workday="{int(wanted)}"' in (
        response.content.decode()
    )


@pytest.mark.parametrize("role", ["office_staff_a", "clerk_a1", "city_viewer", "evaluator_a"])
def test_only_the_office_admin_manages_working_days(client, cw, role):
    override = WorkdayOverride.objects.create(tenant=cw.county_a, date=SATURDAY, is_workday=True)
    login(client, getattr(cw, role))
    assert client.get("/settings/workdays/").status_code == 403
    assert (
        client.post("/settings/workdays/", {"date": "2026-06-20", "is_workday": "1"}).status_code
        == 403
    )
    assert client.post(f"/settings/workdays/{override.pk}/delete/").status_code == 403
    assert WorkdayOverride.objects.count() == 1


def test_working_days_of_another_county_stay_apart(client, cw):
    other = WorkdayOverride.objects.create(tenant=cw.county_b, date=SATURDAY, is_workday=True)
    login(client, cw.office_admin_a)
    assert list(client.get("/settings/workdays/").context["object_list"]) == []
    assert client.post(f"/settings/workdays/{other.pk}/delete/").status_code == 404
    assert WorkdayOverride.objects.filter(pk=other.pk).exists()


def test_the_domain_list_query_count_does_not_grow_with_rows(
    client, cw, django_assert_max_num_queries
):
    login(client, cw.office_admin_a)
    with django_assert_max_num_queries(13) as small:
        client.get("/domains/")
    for d in KeyDomain.objects.filter(tenant=cw.county_a):
        services.domain_save(
            tenant=cw.county_a,
            domain=d,
            actor=None,
            data={"lead_units": [cw.a1], "responsible_units": [cw.a1, cw.a2]},
        )
        DomainField.objects.create(
            tenant=cw.county_a, domain=d, key="x", label="x", field_type="text"
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/domains/")


def test_a_deactivated_agency_cannot_be_newly_assigned_but_may_stay(world):
    from django.core.exceptions import ValidationError

    from accounts.services import agency_set_active
    from domains import services
    from domains.models import KeyDomain
    from tests.factories import ensure_defaults

    ensure_defaults(world.county_a)
    domain = KeyDomain.objects.filter(tenant=world.county_a).first()
    services.domain_save(
        tenant=world.county_a, domain=domain, actor=None, data={"lead_units": [world.a1]}
    )
    agency_set_active(agency=world.a1, active=False, actor=None)
    agency_set_active(agency=world.a2, active=False, actor=None)
    services.domain_save(
        tenant=world.county_a, domain=domain, actor=None, data={"lead_units": [world.a1]}
    )
    with pytest.raises(ValidationError):
        services.domain_save(
            tenant=world.county_a,
            domain=domain,
            actor=None,
            data={"lead_units": [world.a1, world.a2]},
        )
    assert list(domain.lead_units.all()) == [world.a1]
