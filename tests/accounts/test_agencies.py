"""The county office administrator manages its agencies: forms, list, activation, Excel."""

import hashlib
import html
import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from openpyxl import Workbook, load_workbook

from accounts import excel
from accounts.choices import AgencyKind, RankingGroup, SecurityEventKind
from accounts.models import Agency, SecurityEvent, User
from integrity import xlsx as xlsx_module
from integrity.xlsx import XLSX_CONTENT_TYPE
from tests.conftest import login
from tests.factories import AgencyFactory, UserFactory, credit_code


def zh(text: str) -> str:
    """A message in the language the requests are served in (LANGUAGE_CODE)."""
    with translation.override("zh-hans"):
        return str(translation.gettext(text))


def headers() -> list[str]:
    with translation.override("zh-hans"):
        return [str(label) for _f, label in excel.agency_columns()]


def labels(choices) -> dict[str, str]:
    with translation.override("zh-hans"):
        return {value: str(label) for value, label in choices}


def active_label(active: bool) -> str:
    with translation.override("zh-hans"):
        return str(excel._status_labels()[0 if active else 1])


def agency_table() -> tuple[int, str]:
    """Count and checksum of every agency row, every column."""
    rows = list(Agency.objects.order_by("pk").values_list())
    return len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()


def bad_code(n: int) -> str:
    """A well-formed credit code with a wrong check character."""
    good = credit_code(n)
    return good[:-1] + ("1" if good[-1] != "1" else "2")


def xlsx(rows, header=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers() if header is None else header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(name, kind="department", code="", group="", leader="", contact="", phone="", active=True):
    kinds, groups = labels(AgencyKind.choices), labels(RankingGroup.choices)
    return [
        name,
        kinds.get(kind, kind),
        code,
        groups.get(group, group),
        leader,
        contact,
        phone,
        active_label(active) if isinstance(active, bool) else active,
    ]


def upload(client, content: bytes, name: str = "agencies.xlsx"):
    file = SimpleUploadedFile(name, content, content_type=XLSX_CONTENT_TYPE)
    return client.post("/agencies/import/", {"file": file})


def agency_form(**overrides) -> dict:
    data = {
        "name": "县发展和改革局",
        "kind": AgencyKind.DEPARTMENT,
        "credit_code": credit_code(9001),
        "ranking_group": "",
        "leader_name": "王局长",
        "contact_name": "李联络",
        "contact_phone": "0314-8888888",
    }
    data.update(overrides)
    return data


# Create, edit ------------------------------------------------------------------------------


def test_office_admin_creates_agency(client, world):
    login(client, world.office_admin_a)
    assert client.get("/agencies/new/").status_code == 200
    response = client.post("/agencies/new/", agency_form())
    agency = Agency.objects.get(name="县发展和改革局")
    assert response.status_code == 302
    assert response["Location"] == f"/agencies/{agency.pk}/"
    assert agency.tenant == world.county_a
    assert agency.credit_code == credit_code(9001)
    assert agency.leader_name == "王局长"
    assert agency.ranking_group == RankingGroup.DEPARTMENT
    assert agency.is_active


def test_credit_code_is_normalised(client, world):
    login(client, world.office_admin_a)
    response = client.post("/agencies/new/", agency_form(credit_code=credit_code(9002).lower()))
    assert response.status_code == 302
    assert Agency.objects.get(name="县发展和改革局").credit_code == credit_code(9002)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (bad_code(9003), "The check character of this unified social credit code is wrong."),
        ("91110000MA0123", "A unified social credit code has 18 characters."),
        ("91110000MA012345I6", None),
    ],
)
def test_invalid_credit_code_is_refused_clearly(client, world, code, message):
    login(client, world.office_admin_a)
    before = agency_table()
    response = client.post("/agencies/new/", agency_form(credit_code=code))
    assert response.status_code == 200
    errors = response.context["form"].errors["credit_code"]
    if message:
        assert errors == [zh(message)]
    else:
        assert len(errors) == 1
    assert agency_table() == before


def test_credit_code_of_another_agency_is_refused(client, world):
    login(client, world.office_admin_a)
    before = agency_table()
    response = client.post("/agencies/new/", agency_form(credit_code=world.b1.credit_code))
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "credit_code": [zh("This unified social credit code is already used by another agency.")]
    }
    assert world.b1.name not in response.content.decode()
    assert agency_table() == before


def test_duplicate_name_in_same_county_is_refused(client, world):
    login(client, world.office_admin_a)
    before = agency_table()
    response = client.post("/agencies/new/", agency_form(name=world.a1.name))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert agency_table() == before


def test_same_name_in_another_county_is_allowed(client, world):
    login(client, world.office_admin_b)
    response = client.post("/agencies/new/", agency_form(name=world.a1.name))
    assert response.status_code == 302
    assert Agency.objects.filter(name=world.a1.name).count() == 2


@pytest.mark.parametrize(
    ("kind", "group"),
    [
        (AgencyKind.TOWNSHIP, RankingGroup.TOWNSHIP),
        (AgencyKind.SUBDISTRICT, RankingGroup.TOWNSHIP),
        (AgencyKind.DEVELOPMENT_ZONE, RankingGroup.TOWNSHIP),
        (AgencyKind.DEPARTMENT, RankingGroup.DEPARTMENT),
        (AgencyKind.PUBLIC_INSTITUTION, RankingGroup.DEPARTMENT),
        (AgencyKind.STATE_ENTERPRISE, RankingGroup.DEPARTMENT),
    ],
)
def test_ranking_group_defaults_from_kind(client, world, kind, group):
    login(client, world.office_admin_a)
    response = client.post("/agencies/new/", agency_form(kind=kind, ranking_group=""))
    assert response.status_code == 302
    assert Agency.objects.get(name="县发展和改革局").ranking_group == group


def test_explicit_ranking_group_is_kept(client, world):
    login(client, world.office_admin_a)
    client.post(
        "/agencies/new/",
        agency_form(kind=AgencyKind.DEVELOPMENT_ZONE, ranking_group=RankingGroup.DEPARTMENT),
    )
    assert Agency.objects.get(name="县发展和改革局").ranking_group == RankingGroup.DEPARTMENT


def test_office_admin_edits_agency(client, world):
    login(client, world.office_admin_a)
    url = f"/agencies/{world.a1.pk}/edit/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        agency_form(
            name="县财政局（国资办）",
            credit_code=world.a1.credit_code,
            ranking_group=RankingGroup.DEPARTMENT,
        ),
    )
    assert response.status_code == 302
    world.a1.refresh_from_db()
    assert world.a1.name == "县财政局（国资办）"
    assert world.a1.leader_name == "王局长"
    assert world.a1.tenant == world.county_a


def test_edit_to_a_taken_name_is_refused(client, world):
    login(client, world.office_admin_a)
    before = agency_table()
    response = client.post(
        f"/agencies/{world.a1.pk}/edit/",
        agency_form(name=world.a2.name, credit_code=world.a1.credit_code),
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert agency_table() == before


def test_edit_with_bad_credit_code_writes_nothing(client, world):
    login(client, world.office_admin_a)
    before = agency_table()
    response = client.post(
        f"/agencies/{world.a1.pk}/edit/", agency_form(name=world.a1.name, credit_code=bad_code(1))
    )
    assert response.status_code == 200
    assert "credit_code" in response.context["form"].errors
    assert agency_table() == before


def test_office_admin_cannot_edit_another_countys_agency(client, world):
    login(client, world.office_admin_a)
    before = agency_table()
    assert client.get(f"/agencies/{world.b1.pk}/edit/").status_code == 404
    response = client.post(f"/agencies/{world.b1.pk}/edit/", agency_form(name="改名"))
    assert response.status_code == 404
    assert client.post(f"/agencies/{world.b1.pk}/deactivate/").status_code == 404
    assert agency_table() == before


@pytest.mark.parametrize(
    "who", ["office_staff_a", "clerk_a1", "leader_a1", "evaluator_a", "city_viewer"]
)
def test_other_roles_cannot_create_or_edit(client, world, who):
    login(client, getattr(world, who))
    before = agency_table()
    assert client.get("/agencies/new/").status_code == 403
    assert client.post("/agencies/new/", agency_form()).status_code == 403
    assert client.get(f"/agencies/{world.a1.pk}/edit/").status_code == 403
    response = client.post(f"/agencies/{world.a1.pk}/edit/", agency_form(name="改名"))
    assert response.status_code == 403
    assert client.post(f"/agencies/{world.a1.pk}/deactivate/").status_code == 403
    assert client.get("/agencies/import/").status_code == 403
    assert upload(client, xlsx([row("新单位")])).status_code == 403
    assert agency_table() == before


def test_anonymous_is_sent_to_login(client, world):
    response = client.get("/agencies/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.post("/agencies/new/", agency_form()).status_code == 302
    assert not Agency.objects.filter(name="县发展和改革局").exists()


# Activation ---------------------------------------------------------------------------------


def test_deactivate_agency_deactivates_its_users(client, world):
    login(client, world.office_admin_a)
    response = client.post(f"/agencies/{world.a1.pk}/deactivate/")
    assert response.status_code == 302
    assert response["Location"] == f"/agencies/{world.a1.pk}/"
    world.a1.refresh_from_db()
    assert not world.a1.is_active
    assert not User.objects.get(pk=world.clerk_a1.pk).is_active
    assert not User.objects.get(pk=world.leader_a1.pk).is_active
    assert User.objects.get(pk=world.clerk_a2.pk).is_active
    assert User.objects.get(pk=world.office_admin_a.pk).is_active
    # Their sessions stop working.
    login(client, world.clerk_a1)
    assert client.get("/agencies/").status_code == 302

    login(client, world.office_admin_a)
    assert client.post(f"/agencies/{world.a1.pk}/activate/").status_code == 302
    world.a1.refresh_from_db()
    assert world.a1.is_active


def test_activation_is_post_only(client, world):
    login(client, world.office_admin_a)
    assert client.get(f"/agencies/{world.a1.pk}/deactivate/").status_code == 405
    world.a1.refresh_from_db()
    assert world.a1.is_active


# Reading, list, filters ---------------------------------------------------------------------


def _listed(response) -> set[str]:
    return {a.name for a in response.context["object_list"]}


def test_city_viewer_reads_both_counties(client, world):
    login(client, world.city_viewer)
    response = client.get("/agencies/")
    assert response.status_code == 200
    assert _listed(response) == {"县财政局", "大阁镇", "隆化县财政局"}
    assert response.context["multi_tenant"]
    assert not response.context["can_manage"]
    assert client.get(f"/agencies/{world.b1.pk}/").status_code == 200
    assert client.get(f"/agencies/{world.a1.pk}/").status_code == 200
    assert client.get(f"/agencies/{world.c1.pk}/").status_code == 404


def test_office_admin_lists_own_county_only(client, world):
    login(client, world.office_admin_a)
    response = client.get("/agencies/")
    assert _listed(response) == {"县财政局", "大阁镇"}
    assert response.context["can_manage"]
    assert client.get(f"/agencies/{world.b1.pk}/").status_code == 404


def test_clerk_reads_own_agency_only(client, world):
    login(client, world.clerk_a1)
    assert _listed(client.get("/agencies/")) == {"县财政局"}
    assert client.get(f"/agencies/{world.a2.pk}/").status_code == 404


def test_list_filters(client, world):
    AgencyFactory(tenant=world.county_a, name="县教育局", leader_name="赵校长")
    AgencyFactory(
        tenant=world.county_a,
        name="城关街道",
        kind=AgencyKind.SUBDISTRICT,
        ranking_group=RankingGroup.TOWNSHIP,
        is_active=False,
    )
    login(client, world.office_admin_a)
    assert _listed(client.get("/agencies/?q=财政")) == {"县财政局"}
    assert _listed(client.get("/agencies/?q=赵校长")) == {"县教育局"}
    assert _listed(client.get(f"/agencies/?q={world.a2.credit_code[-6:]}")) == {"大阁镇"}
    assert _listed(client.get("/agencies/?kind=subdistrict")) == {"城关街道"}
    assert _listed(client.get("/agencies/?ranking_group=township")) == {"大阁镇", "城关街道"}
    assert _listed(client.get("/agencies/?is_active=false")) == {"城关街道"}
    assert _listed(client.get("/agencies/?is_active=true")) == {"县财政局", "大阁镇", "县教育局"}
    assert _listed(client.get("/agencies/?kind=township&is_active=true")) == {"大阁镇"}
    # Another county's name does not leak through a search.
    assert _listed(client.get("/agencies/?q=隆化")) == set()


def test_list_pagination(client, world):
    AgencyFactory.create_batch(53, tenant=world.county_a)
    login(client, world.office_admin_a)
    first = client.get("/agencies/")
    assert len(first.context["object_list"]) == 50
    assert first.context["paginator"].count == 55
    second = client.get("/agencies/?page=2")
    assert len(second.context["object_list"]) == 5
    assert not _listed(first) & _listed(second)
    assert client.get("/agencies/?page=3").status_code == 404


# Excel template -----------------------------------------------------------------------------


def test_template_download(client, world):
    login(client, world.office_admin_a)
    response = client.get("/agencies/import/template/")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert len(workbook.worksheets) == 2
    sheet, notes = workbook.worksheets
    assert [c.value for c in sheet[1]] == headers()
    assert sheet.max_row == 1
    assert notes.title == zh("Instructions")
    instructions = " ".join(str(c.value) for c in notes["A"])
    assert "GB 32100-2015" in instructions
    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    assert set(validations) == {"B2:B5001", "D2:D5001", "H2:H5001"}
    kinds = validations["B2:B5001"].formula1.strip('"').split(",")
    assert kinds == list(labels(AgencyKind.choices).values())
    assert validations["H2:H5001"].formula1.strip('"').split(",") == [
        active_label(True),
        active_label(False),
    ]
    assert all(v.type == "list" and v.showErrorMessage for v in validations.values())


def test_template_needs_import_permission(client, world):
    login(client, world.office_staff_a)
    assert client.get("/agencies/import/template/").status_code == 403


# Excel import -------------------------------------------------------------------------------


def test_import_creates_and_updates(client, world):
    login(client, world.office_admin_a)
    content = xlsx(
        [
            row("县财政局", code=world.a1.credit_code, leader="新局长", phone="0314-1234567"),
            row("  县审计局 ", code=credit_code(7001), contact="周联络"),
            row("两间房乡", kind="township"),
            row("县医院", kind="public_institution", group="township", active=False),
            [None] * 8,
            row("波罗诺镇", kind=AgencyKind.TOWNSHIP.value, code=credit_code(7002).lower()),
        ]
    )
    response = upload(client, content)
    assert response.status_code == 302, response.context and response.context.get("row_errors")
    assert response["Location"] == "/agencies/"
    assert Agency.objects.filter(tenant=world.county_a).count() == 6
    world.a1.refresh_from_db()
    assert world.a1.leader_name == "新局长"
    assert world.a1.contact_phone == "0314-1234567"
    audit = Agency.objects.get(tenant=world.county_a, name="县审计局")
    assert (audit.credit_code, audit.contact_name, audit.kind, audit.ranking_group) == (
        credit_code(7001),
        "周联络",
        AgencyKind.DEPARTMENT,
        RankingGroup.DEPARTMENT,
    )
    town = Agency.objects.get(name="两间房乡")
    assert (town.kind, town.ranking_group, town.credit_code, town.is_active) == (
        AgencyKind.TOWNSHIP,
        RankingGroup.TOWNSHIP,
        "",
        True,
    )
    hospital = Agency.objects.get(name="县医院")
    assert hospital.ranking_group == RankingGroup.TOWNSHIP
    assert not hospital.is_active
    assert Agency.objects.get(name="波罗诺镇").credit_code == credit_code(7002)
    # County B is untouched.
    assert list(Agency.objects.filter(tenant=world.county_b)) == [world.b1]
    follow = client.get("/agencies/")
    assert zh("Import finished: %(created)d created, %(updated)d updated.") % {
        "created": 4,
        "updated": 1,
    } in [str(m) for m in follow.context["messages"]]


def test_import_setting_agency_inactive_deactivates_its_users(client, world):
    login(client, world.office_admin_a)
    response = upload(client, xlsx([row("县财政局", code=world.a1.credit_code, active=False)]))
    assert response.status_code == 302
    world.a1.refresh_from_db()
    assert not world.a1.is_active
    assert not User.objects.get(pk=world.clerk_a1.pk).is_active
    assert User.objects.get(pk=world.clerk_a2.pk).is_active


def test_import_with_bad_rows_lists_every_error_and_writes_nothing(client, world):
    other = AgencyFactory(tenant=world.county_b, name="隆化县教育局")
    login(client, world.office_admin_a)
    before = agency_table()
    content = xlsx(
        [
            row("好单位一", code=credit_code(7101)),  # row 2: fine
            row("坏类型", kind="镇政府"),  # row 3
            row("坏代码", code=bad_code(7102)),  # row 4
            row("重名单位"),  # row 5
            row("重名单位", kind="township"),  # row 6
            row("占用代码", code=other.credit_code),  # row 7
            row("", kind="township", leader="无名"),  # row 8
            row("好单位二", code=credit_code(7101)),  # row 9
            row("坏状态", active="停用吧"),  # row 10
            row("坏分组", group="第三组"),  # row 11
            row("长电话", phone="1" * 31),  # row 12
            row("本县他人代码", code=world.a2.credit_code),  # row 13
        ]
    )
    response = upload(client, content)
    assert response.status_code == 400
    found = {(e.row, e.column) for e in response.context["row_errors"]}
    columns = dict(zip([f for f, _l in excel.agency_columns()], headers(), strict=True))
    assert found == {
        (3, columns["kind"]),
        (4, columns["credit_code"]),
        (6, columns["name"]),
        (7, columns["credit_code"]),
        (8, columns["name"]),
        (9, columns["credit_code"]),
        (10, columns["is_active"]),
        (11, columns["ranking_group"]),
        (12, columns["contact_phone"]),
        (13, columns["credit_code"]),
    }
    messages = {(e.row, e.column): e.message for e in response.context["row_errors"]}
    assert messages[(4, columns["credit_code"])] == zh(
        "The check character of this unified social credit code is wrong."
    )
    assert messages[(6, columns["name"])] == zh("Same name as row %(row)d.") % {"row": 5}
    # Another county's agency is not named to us.
    assert messages[(7, columns["credit_code"])] == zh(
        "Already used by an agency of another jurisdiction."
    )
    assert messages[(13, columns["credit_code"])] == zh("Already used by %(name)s.") % {
        "name": world.a2.name
    }
    assert messages[(8, columns["name"])] == zh("Required.")
    assert messages[(9, columns["credit_code"])] == zh("Same code as row %(row)d.") % {"row": 2}
    page = response.content.decode()
    assert 'data-testid="row-errors"' in page
    assert other.name not in page
    table = page[page.index('data-testid="row-errors"') :]
    table = table[table.index("<tbody>") : table.index("</tbody>")]
    assert table.count("<tr") == len(found)
    for error in response.context["row_errors"]:
        assert html.escape(error.message) in table
    assert agency_table() == before


def test_import_refuses_code_of_same_named_agency_in_another_county(client, world):
    """County B has an agency of the same name: its code is still not ours to take."""
    twin = AgencyFactory(tenant=world.county_b, name="县审计局")
    login(client, world.office_admin_a)
    before = agency_table()
    response = upload(client, xlsx([row("县审计局", code=twin.credit_code)]))
    assert response.status_code == 400
    assert [e.row for e in response.context["row_errors"]] == [2]
    assert agency_table() == before


def _valid_xlsx() -> bytes:
    return xlsx([row("新单位", code=credit_code(7201))])


def _with_member(content: bytes, name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr(name, data)
    return buffer.getvalue()


def _rewrite_sheet(content: bytes, rewrite, compresslevel: int | None = None) -> bytes:
    """The workbook with its first sheet's XML passed through `rewrite(xml) -> xml`."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as target,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                target.writestr(item.filename, rewrite(data))
            else:
                target.writestr(item, data)
    return buffer.getvalue()


def _zip_bomb() -> bytes:
    """A real workbook, under 100 kB, whose sheet XML inflates to 60 MB."""
    return _rewrite_sheet(
        xlsx([row("单位")]),
        lambda xml: xml.replace(b"</sheetData>", b"<row/>" * 10_000_000 + b"</sheetData>"),
        compresslevel=9,
    )


def _blank_row_flood() -> bytes:
    """Few kilobytes, an ordinary compression ratio, and a million empty rows to parse."""
    return _rewrite_sheet(
        xlsx([row("单位")]),
        lambda xml: xml.replace(
            b"</sheetData>",
            b'<row r="1000000"><c r="A1000000" t="inlineStr"><is><t>x</t>'
            b"</is></c></row></sheetData>",
        ),
    )


def _formula_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers())
    sheet.append(row("公式单位"))
    sheet["E2"] = '=A2&"局长"'
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _empty_xlsx() -> bytes:
    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


BAD_FILES = {
    "not_zip": (
        lambda: "单位名称,类型\n县财政局,department\n".encode(),
        "This is not an Excel .xlsx file. Save it as .xlsx and try again.",
    ),
    "truncated": (
        lambda: _valid_xlsx()[: len(_valid_xlsx()) // 2],
        "The file is damaged or incomplete and cannot be opened.",
    ),
    "zip_not_workbook": (
        lambda: _plain_zip(),
        "This is not an Excel .xlsx file. Save it as .xlsx and try again.",
    ),
    "zip_bomb": (_zip_bomb, "The workbook expands to an unreasonable size and was refused."),
    "blank_row_flood": (
        _blank_row_flood,
        "The sheet has more than %(max)d empty rows. Delete the empty rows and try again.",
    ),
    "formula": (_formula_xlsx, None),
    "external_link": (
        lambda: _with_member(
            _valid_xlsx(), "xl/externalLinks/externalLink1.xml", b"<externalLink/>"
        ),
        "The workbook links to other files. Remove the external links.",
    ),
    "empty_sheet": (_empty_xlsx, "The sheet is empty: the first row must hold the headers."),
}


def _plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    return buffer.getvalue()


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_refused_and_write_nothing(client, world, case):
    build, message = BAD_FILES[case]
    content = build()
    if case in ("zip_bomb", "blank_row_flood"):
        assert len(content) < 100 * 1024
    login(client, world.office_admin_a)
    before = agency_table()
    response = upload(client, content)
    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1
    if case == "blank_row_flood":
        assert errors == [zh(message) % {"max": xlsx_module.MAX_BLANK_ROWS}]
    elif message:
        assert errors == [zh(message)]
    else:
        assert errors == [
            zh("Row %(row)d, column %(col)s holds a formula. Paste values only.")
            % {"row": 2, "col": headers()[4]}
        ]
    assert agency_table() == before


@pytest.mark.parametrize(
    ("header", "expect"),
    [
        (lambda h: h[:-1], "missing"),
        (lambda h: [*h, "备注"], "unexpected"),
        (lambda h: [h[1], h[0], *h[2:]], "order"),
        (lambda h: ["名称", *h[1:]], "both"),
    ],
)
def test_wrong_headers_are_refused(client, world, header, expect):
    login(client, world.office_admin_a)
    before = agency_table()
    content = xlsx([row("新单位")], header=header(headers()))
    response = upload(client, content)
    assert response.status_code == 400
    [error] = response.context["form"].errors["file"]
    assert error.startswith(
        zh(
            "The header row does not match the template (%(detail)s). Download the template again."
        ).split("%(detail)s")[0]
    )
    if expect in ("missing", "both"):
        assert zh("missing: %(cols)s").split("%(cols)s")[0] in error
    if expect in ("unexpected", "both"):
        assert "备注" in error or "名称" in error
    if expect == "order":
        assert zh("columns are in the wrong order") in error
    assert agency_table() == before


def test_header_only_file_has_no_data_rows(client, world):
    login(client, world.office_admin_a)
    before = agency_table()
    response = upload(client, xlsx([]))
    assert response.status_code == 400
    assert [e.message for e in response.context["row_errors"]] == [zh("The file has no data rows.")]
    assert agency_table() == before


def test_import_reads_rows_beyond_a_stale_dimension(client, world):
    """A file whose <dimension> claims fewer rows and columns than it has loses no data."""
    content = _rewrite_sheet(
        xlsx([row(f"单位{i}", leader=f"负责人{i}", active=False) for i in range(5)]),
        lambda xml: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:C2"/>', xml),
    )
    login(client, world.office_admin_a)
    response = upload(client, content)
    assert response.status_code == 302
    imported = Agency.objects.filter(name__startswith="单位").order_by("name")
    assert [(a.name, a.leader_name, a.is_active) for a in imported] == [
        (f"单位{i}", f"负责人{i}", False) for i in range(5)
    ]


def test_import_over_row_limit_is_refused(client, world, monkeypatch):
    monkeypatch.setattr(excel, "MAX_AGENCY_ROWS", 3)
    login(client, world.office_admin_a)
    before = agency_table()
    response = upload(client, xlsx([row(f"单位{i}") for i in range(4)]))
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        zh("The file has more than %(max)d data rows. Split it into smaller files.") % {"max": 3}
    ]
    assert agency_table() == before
    # At the limit it goes through.
    assert upload(client, xlsx([row(f"单位{i}") for i in range(3)])).status_code == 302


def test_import_over_size_limit_is_refused(client, world, settings):
    content = _valid_xlsx()
    settings.EXCEL_UPLOAD_MAX_BYTES = len(content) - 1
    login(client, world.office_admin_a)
    before = agency_table()
    response = upload(client, content)
    assert response.status_code == 400
    [error] = response.context["form"].errors["file"]
    with translation.override("zh-hans"):
        limit = filesizeformat(len(content) - 1)
    assert error == zh("The file is larger than %(size)s.") % {"size": limit}
    assert agency_table() == before


def test_import_without_file(client, world):
    login(client, world.office_admin_a)
    response = client.post("/agencies/import/", {})
    assert response.status_code == 400
    assert response.context["form"].errors["file"]


# Excel export -------------------------------------------------------------------------------


def _sheet_rows(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [[c.value for c in r] for r in sheet.iter_rows()]


def test_export_filtered(client, world):
    AgencyFactory(
        tenant=world.county_a,
        name="黄旗镇",
        kind=AgencyKind.TOWNSHIP,
        ranking_group=RankingGroup.TOWNSHIP,
    )
    AgencyFactory(
        tenant=world.county_b,
        name="隆化镇",
        kind=AgencyKind.TOWNSHIP,
        ranking_group=RankingGroup.TOWNSHIP,
    )
    login(client, world.office_admin_a)
    response = client.get("/agencies/export/?kind=township")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    rows = _sheet_rows(response.content)
    assert rows[0] == headers()
    assert sorted(r[0] for r in rows[1:]) == sorted(["大阁镇", "黄旗镇"])
    a2 = next(r for r in rows[1:] if r[0] == "大阁镇")
    assert a2[1] == labels(AgencyKind.choices)["township"]
    assert a2[2] == world.a2.credit_code
    assert a2[7] == active_label(True)


def test_export_records_security_event(client, world):
    login(client, world.office_admin_a)
    client.get("/agencies/export/?kind=township")
    event = SecurityEvent.objects.get(kind=SecurityEventKind.EXPORT)
    assert event.user == world.office_admin_a
    assert event.username == "oa-a"
    assert event.tenant == world.county_a
    assert event.detail["what"] == "agencies"
    assert event.detail["filters"] == {"kind": "township"}
    assert event.detail["rows"] == 1


def test_city_viewer_export_has_jurisdiction_column(client, world):
    login(client, world.city_viewer)
    rows = _sheet_rows(client.get("/agencies/export/").content)
    assert rows[0][:8] == headers()
    assert len(rows[0]) == 9
    assert {(r[0], r[8]) for r in rows[1:]} == {
        ("县财政局", "丰宁满族自治县"),
        ("大阁镇", "丰宁满族自治县"),
        ("隆化县财政局", "隆化县"),
    }


def test_clerk_cannot_export(client, world):
    login(client, world.clerk_a1)
    assert client.get("/agencies/export/").status_code == 403
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.EXPORT).exists()


FORMULA_NAMES = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(1)"]


def test_export_neutralises_formulas(client, world):
    for name in FORMULA_NAMES:
        AgencyFactory(tenant=world.county_a, name=name, leader_name="=cmd|' /C calc'!A0")
    login(client, world.office_admin_a)
    content = client.get("/agencies/export/").content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    cells = [c for r in sheet.iter_rows(min_row=2) for c in r]
    assert all(c.data_type != "f" for c in cells)
    names = {sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)}
    assert {"'" + n for n in FORMULA_NAMES} <= names
    leaders = {sheet.cell(row=r, column=5).value for r in range(2, sheet.max_row + 1)}
    assert "'=cmd|' /C calc'!A0" in leaders


def test_export_import_round_trip(client, world):
    for name in FORMULA_NAMES:
        AgencyFactory(
            tenant=world.county_a, name=name, leader_name="-负责人", contact_phone="+86 314 1234567"
        )
    AgencyFactory(
        tenant=world.county_a,
        name="停用单位",
        credit_code="",
        is_active=False,
        kind=AgencyKind.STATE_ENTERPRISE,
        contact_name="@联络",
    )
    AgencyFactory(
        tenant=world.county_a,
        name="开发区",
        kind=AgencyKind.DEVELOPMENT_ZONE,
        ranking_group=RankingGroup.DEPARTMENT,
    )
    login(client, world.office_admin_a)
    before = agency_table()
    content = client.get("/agencies/export/").content
    response = upload(client, content, name="export.xlsx")
    assert response.status_code == 302
    assert agency_table() == before
    follow = client.get("/agencies/")
    assert zh("Import finished: %(created)d created, %(updated)d updated.") % {
        "created": 0,
        "updated": 0,
    } in [str(m) for m in follow.context["messages"]]

    # Edit one cell of the export: exactly that agency changes.
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    target = next(
        r for r in range(2, sheet.max_row + 1) if sheet.cell(row=r, column=1).value == "大阁镇"
    )
    sheet.cell(row=target, column=5).value = "新镇长"
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert upload(client, buffer.getvalue()).status_code == 302
    world.a2.refresh_from_db()
    assert world.a2.leader_name == "新镇长"
    assert Agency.objects.get(name='=HYPERLINK("http://evil","x")').leader_name == "-负责人"
    assert Agency.objects.get(name="+1+1").contact_phone == "+86 314 1234567"
    assert Agency.objects.get(name="停用单位").contact_name == "@联络"
    assert Agency.objects.filter(tenant=world.county_a).count() == 8


def test_import_does_not_touch_users_of_other_counties(client, world):
    other = UserFactory(tenant=world.county_b, role="agency_clerk", agency=world.b1)
    login(client, world.office_admin_a)
    upload(client, xlsx([row("隆化县财政局", active=False)]))
    other.refresh_from_db()
    world.b1.refresh_from_db()
    assert other.is_active and world.b1.is_active
    # The row created a county A agency of that name instead.
    assert Agency.objects.get(tenant=world.county_a, name="隆化县财政局").is_active is False
