"""The joint reward and punishment measure list (M14) and the four lists (M15), through the
views: maintenance by the office, reading and Excel export by everyone of the county."""

import io

import pytest
from django.utils import translation
from openpyxl import load_workbook
from pghistory.models import Events

from accounts.choices import SecurityEventKind
from accounts.models import SecurityEvent
from domains import services
from domains.choices import FourListKind
from domains.models import FourListEntry, JointMeasure
from domains.views.lists import four_list_columns, joint_measure_columns
from tests.conftest import login

pytestmark = pytest.mark.django_db


def measure(tenant, **overrides):
    data = {
        "direction": "punishment",
        "measure": "限制申报财政资金项目",
        "department": "县财政局",
        "administrative_matter": "财政专项资金申报",
        "business_section": "预算股",
        "responsible_person": "李四",
        "basis": "",
        "position": 1,
    }
    data.update(overrides)
    return services.joint_measure_save(tenant=tenant, data=data, actor=None)


def entry(tenant, kind="typical_cases", **overrides):
    data = {
        "list_kind": kind,
        "title": "某镇按期兑现招商承诺",
        "description": "",
        "basis": "",
        "position": 1,
    }
    data.update(overrides)
    return services.four_list_entry_save(tenant=tenant, data=data, actor=None)


def measure_form(**overrides):
    data = {
        "direction": "reward",
        "measure": "行政审批绿色通道",
        "department": "县行政审批局",
        "administrative_matter": "企业投资项目核准",
        "business_section": "投资审批股",
        "responsible_person": "王五",
        "basis": "国发〔2016〕33号",
        "position": 2,
    }
    data.update(overrides)
    return data


def zh(columns_function, *args):
    with translation.override("zh-hans"):
        return columns_function(*args)


def zh_label(label):
    with translation.override("zh-hans"):
        return translation.gettext(str(label))


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


def rows_of(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def events(obj, label):
    return Events.objects.tracks(obj).filter(pgh_label=label)


# Joint reward and punishment measures -----------------------------------------------------


@pytest.mark.parametrize("role", ["office_admin_a", "office_staff_a"])
def test_the_office_creates_edits_and_deletes_measures(client, world, role):
    login(client, getattr(world, role))
    response = client.post("/lists/joint-measures/new/", measure_form())
    assert response.status_code == 302
    item = JointMeasure.objects.get(tenant=world.county_a)
    assert (item.direction, item.department, item.responsible_person) == (
        "reward",
        "县行政审批局",
        "王五",
    )
    assert events(item, "insert").get().pgh_context["username"] == getattr(world, role).username
    response = client.post(
        f"/lists/joint-measures/{item.pk}/edit/",
        measure_form(responsible_person="赵六", position=7),
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.responsible_person, item.position) == ("赵六", 7)
    assert events(item, "update").get().pgh_diff["responsible_person"] == ["王五", "赵六"]
    assert client.get(f"/lists/joint-measures/{item.pk}/delete/").status_code == 405
    assert client.post(f"/lists/joint-measures/{item.pk}/delete/").status_code == 302
    assert not JointMeasure.objects.exists()
    assert events(item, "delete").exists()


@pytest.mark.parametrize(
    "missing",
    [
        "direction",
        "measure",
        "department",
        "administrative_matter",
        "business_section",
        "responsible_person",
    ],
)
def test_an_incomplete_measure_is_refused(client, world, missing):
    login(client, world.office_staff_a)
    response = client.post("/lists/joint-measures/new/", measure_form(**{missing: ""}))
    assert response.status_code == 400
    assert response.context["form"].errors[missing]
    assert not JointMeasure.objects.exists()


def test_a_bad_edit_changes_nothing(client, world):
    item = measure(world.county_a)
    login(client, world.office_admin_a)
    response = client.post(
        f"/lists/joint-measures/{item.pk}/edit/", measure_form(direction="maybe", measure="改")
    )
    assert response.status_code == 400
    item.refresh_from_db()
    assert (item.direction, item.measure) == ("punishment", "限制申报财政资金项目")
    assert not events(item, "update").exists()


@pytest.mark.parametrize("role", ["clerk_a1", "leader_a1", "evaluator_a", "city_viewer"])
def test_measures_are_read_only_outside_the_office(client, world, role):
    item = measure(world.county_a)
    login(client, getattr(world, role))
    response = client.get("/lists/joint-measures/")
    assert response.status_code == 200
    assert list(response.context["object_list"]) == [item]
    assert "/lists/joint-measures/new/" not in response.content.decode()
    assert client.get("/lists/joint-measures/new/").status_code == 403
    assert client.post("/lists/joint-measures/new/", measure_form()).status_code == 403
    assert client.post(f"/lists/joint-measures/{item.pk}/edit/", measure_form()).status_code == 403
    assert client.post(f"/lists/joint-measures/{item.pk}/delete/").status_code == 403
    assert JointMeasure.objects.get().measure == "限制申报财政资金项目"


def test_another_countys_measures_are_invisible_and_not_found(client, world):
    own = measure(world.county_a)
    other = measure(world.county_b, measure="隆化县措施")
    far = measure(world.county_c, measure="张北县措施")
    login(client, world.office_admin_a)
    assert list(client.get("/lists/joint-measures/").context["object_list"]) == [own]
    assert client.get(f"/lists/joint-measures/{other.pk}/edit/").status_code == 404
    assert client.post(f"/lists/joint-measures/{other.pk}/edit/", measure_form()).status_code == 404
    assert client.post(f"/lists/joint-measures/{other.pk}/delete/").status_code == 404
    other.refresh_from_db()
    assert other.measure == "隆化县措施"
    login(client, world.city_viewer)
    seen = set(client.get("/lists/joint-measures/").context["object_list"])
    assert seen == {own, other} and far not in seen


def test_measures_are_filtered_by_kind_department_and_search(client, world):
    punish = measure(world.county_a)
    reward = measure(
        world.county_a,
        direction="reward",
        measure="优先安排财政资金",
        department="县发展改革局",
        responsible_person="孙七",
    )
    login(client, world.clerk_a1)
    page = client.get("/lists/joint-measures/")
    assert set(page.context["object_list"]) == {punish, reward}
    department_choices = [c[0] for c in page.context["filter"].form.fields["department"].choices]
    assert "县发展改革局" in department_choices and "县财政局" in department_choices
    assert list(
        client.get("/lists/joint-measures/", {"direction": "reward"}).context["object_list"]
    ) == [reward]
    assert list(
        client.get("/lists/joint-measures/", {"department": "县财政局"}).context["object_list"]
    ) == [punish]
    assert list(client.get("/lists/joint-measures/", {"q": "孙七"}).context["object_list"]) == [
        reward
    ]


def test_measures_are_paginated(client, world):
    for n in range(55):
        measure(world.county_a, measure=f"措施{n:02d}", position=n)
    login(client, world.office_staff_a)
    first = client.get("/lists/joint-measures/")
    assert len(first.context["object_list"]) == 50
    second = client.get("/lists/joint-measures/", {"page": 2})
    assert [m.measure for m in second.context["object_list"]] == [
        f"措施{n:02d}" for n in range(50, 55)
    ]


def test_measure_export_has_the_headers_and_only_the_filtered_rows(client, world):
    measure(world.county_a)
    measure(
        world.county_a,
        direction="reward",
        measure='=HYPERLINK("x")',
        department="县发展改革局",
        position=3,
    )
    measure(world.county_b, direction="reward", measure="隆化县措施")
    login(client, world.clerk_a1)
    book = workbook(client.get("/lists/joint-measures/export/", {"direction": "reward"}))
    rows = rows_of(book.worksheets[0])
    assert rows[0] == zh(joint_measure_columns, False)
    assert rows[1:] == [
        [
            zh_label("Reward for keeping faith"),
            '\'=HYPERLINK("x")',
            "县发展改革局",
            "财政专项资金申报",
            "预算股",
            "李四",
            None,
            3,
        ]
    ]
    event = SecurityEvent.objects.get(kind=SecurityEventKind.EXPORT)
    assert event.detail["what"] == "joint_measures" and event.detail["rows"] == 1
    assert event.detail["filters"] == {"direction": "reward"}
    assert event.user == world.clerk_a1


def test_city_viewer_exports_with_the_jurisdiction_column(client, world):
    measure(world.county_a)
    measure(world.county_b, measure="隆化县措施")
    measure(world.county_c, measure="张北县措施")
    login(client, world.city_viewer)
    rows = rows_of(workbook(client.get("/lists/joint-measures/export/")).worksheets[0])
    assert rows[0] == zh(joint_measure_columns, True)
    assert sorted((r[0], r[2]) for r in rows[1:]) == sorted(
        [(world.county_a.name, "限制申报财政资金项目"), (world.county_b.name, "隆化县措施")]
    )


# The four lists ---------------------------------------------------------------------------


def entry_form(**overrides):
    data = {
        "list_kind": "incentives",
        "title": "守信主体优先享受政策扶持",
        "description": "在财政资金安排中优先支持。",
        "basis": "",
        "position": 1,
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", ["office_admin_a", "office_staff_a"])
def test_the_office_maintains_the_four_lists(client, world, role):
    login(client, getattr(world, role))
    form = client.get("/lists/four-lists/new/", {"list_kind": "punishments"}).context["form"]
    assert form.initial["list_kind"] == "punishments"
    response = client.post("/lists/four-lists/new/?list_kind=incentives", entry_form())
    assert response.status_code == 302
    assert response["Location"] == "/lists/four-lists/?list_kind=incentives"
    item = FourListEntry.objects.get(tenant=world.county_a)
    assert events(item, "insert").exists()
    response = client.post(
        f"/lists/four-lists/{item.pk}/edit/",
        entry_form(list_kind="punishments", title="失信主体限制评优"),
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.list_kind, item.title) == ("punishments", "失信主体限制评优")
    assert events(item, "update").get().pgh_diff["list_kind"] == ["incentives", "punishments"]
    assert client.post(f"/lists/four-lists/{item.pk}/delete/").status_code == 302
    assert not FourListEntry.objects.exists() and events(item, "delete").exists()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"list_kind": "fifth_list"}, "list_kind"),
        ({"title": ""}, "title"),
        ({"position": "-1"}, "position"),
    ],
)
def test_a_bad_entry_is_refused(client, world, data, field):
    login(client, world.office_admin_a)
    response = client.post("/lists/four-lists/new/", entry_form(**data))
    assert response.status_code == 400 and response.context["form"].errors[field]
    assert not FourListEntry.objects.exists()


def test_one_page_with_a_tab_per_list(client, world):
    case = entry(world.county_a, "typical_cases", title="典型案例甲")
    subject = entry(world.county_a, "serious_dishonesty", title="严重失信主体乙")
    incentive = entry(world.county_a, "incentives", title="激励措施丙")
    entry(world.county_b, "incentives", title="隆化县激励")
    login(client, world.evaluator_a)
    page = client.get("/lists/four-lists/")
    assert set(page.context["object_list"]) == {case, subject, incentive}
    tabs = page.context["tabs"]
    assert [(t["value"], t["count"]) for t in tabs] == [
        (None, 3),
        ("typical_cases", 1),
        ("serious_dishonesty", 1),
        ("incentives", 1),
        ("punishments", 0),
    ]
    assert tabs[0]["active"]
    tab = client.get("/lists/four-lists/", {"list_kind": "incentives"})
    assert list(tab.context["object_list"]) == [incentive]
    assert [t["active"] for t in tab.context["tabs"]] == [False, False, False, True, False]
    searched = client.get("/lists/four-lists/", {"q": "失信"})
    assert list(searched.context["object_list"]) == [subject]
    assert [t["count"] for t in searched.context["tabs"]] == [1, 0, 1, 0, 0]


@pytest.mark.parametrize("role", ["clerk_a1", "evaluator_a", "city_viewer"])
def test_the_four_lists_are_read_only_outside_the_office(client, world, role):
    item = entry(world.county_a)
    login(client, getattr(world, role))
    assert client.get("/lists/four-lists/").status_code == 200
    assert client.post("/lists/four-lists/new/", entry_form()).status_code == 403
    assert client.post(f"/lists/four-lists/{item.pk}/edit/", entry_form()).status_code == 403
    assert client.post(f"/lists/four-lists/{item.pk}/delete/").status_code == 403
    assert FourListEntry.objects.get().title == "某镇按期兑现招商承诺"


def test_another_countys_entries_are_not_found(client, world):
    other = entry(world.county_b)
    login(client, world.office_admin_a)
    assert list(client.get("/lists/four-lists/").context["object_list"]) == []
    assert client.post(f"/lists/four-lists/{other.pk}/edit/", entry_form()).status_code == 404
    assert client.post(f"/lists/four-lists/{other.pk}/delete/").status_code == 404
    assert FourListEntry.objects.filter(pk=other.pk).exists()


def test_the_export_is_one_workbook_with_a_sheet_per_list(client, world):
    entry(world.county_a, "typical_cases", title="典型案例甲", position=2)
    entry(world.county_a, "typical_cases", title="典型案例乙", position=1)
    entry(world.county_a, "punishments", title="限制评优", basis="文件")
    entry(world.county_a, "incentives", title="与搜索无关")
    entry(world.county_b, "punishments", title="隆化县限制评优")
    login(client, world.clerk_a1)
    book = workbook(client.get("/lists/four-lists/export/", {"q": "限", "list_kind": "incentives"}))
    # Sheet titles are at most 31 characters (an Excel limit).
    labels = {v: zh_label(label)[:31] for v, label in FourListKind.choices}
    assert book.sheetnames == list(labels.values())
    header = zh(four_list_columns, False)
    sheets = {name: rows_of(book[name]) for name in book.sheetnames}
    assert all(rows[0] == header for rows in sheets.values())
    # The search applies; the tab does not (every list gets its sheet).
    assert sheets[labels["punishments"]][1:] == [[1, "限制评优", None, "文件"]]
    assert sheets[labels["typical_cases"]][1:] == []
    assert sheets[labels["incentives"]][1:] == []
    book = workbook(client.get("/lists/four-lists/export/"))
    assert [r[1] for r in rows_of(book[labels["typical_cases"]])[1:]] == [
        "典型案例乙",
        "典型案例甲",
    ]
    events_ = SecurityEvent.objects.filter(kind=SecurityEventKind.EXPORT, detail__what="four_lists")
    assert sorted(e.detail["rows"] for e in events_) == [1, 4]


def test_list_query_counts_do_not_grow_with_rows(client, world, django_assert_max_num_queries):
    login(client, world.city_viewer)
    measure(world.county_a)
    entry(world.county_a)
    with django_assert_max_num_queries(15) as joint:
        client.get("/lists/joint-measures/")
    with django_assert_max_num_queries(15) as four:
        client.get("/lists/four-lists/")
    for n in range(10):
        measure(world.county_b, measure=f"措施{n}")
        entry(world.county_b, title=f"条目{n}")
    with django_assert_max_num_queries(len(joint.captured_queries)):
        client.get("/lists/joint-measures/")
    with django_assert_max_num_queries(len(four.captured_queries)):
        client.get("/lists/four-lists/")
