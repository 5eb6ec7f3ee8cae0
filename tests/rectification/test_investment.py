"""The integrated investment-project ledger (M7): who sees and keeps which projects, the
duplicate-signing detection against other agencies' projects, the office's flag list and its
decisions, the filters and the export."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Notification, SecurityEvent
from rectification import services
from rectification.models import DuplicateFlag, InvestmentProject
from rectification.services import name_similarity, normalize_project_name
from tests.conftest import login
from tests.factories import credit_code
from tests.isolation_specs.rectification_investment import make_project, project_data

LIST = reverse("rectification:project-list")
CREATE = reverse("rectification:project-create")
EXPORT = reverse("rectification:project-export")
DUPLICATES = reverse("rectification:duplicate-list")

NAME = "丰宁县年产10万吨绿色食品加工项目"
NEAR_NAME = "丰宁县年产10万吨绿色食品加工 项目（一期）"  # similarity 0.938
OTHER_NAME = "丰宁县年产10万吨饲料加工项目"  # similarity 0.786
CODE = credit_code(4242)


def _form(**overrides) -> dict:
    data = project_data(**overrides)
    return {key: "" if value is None else str(value) for key, value in data.items()}


def _create(client, user, **overrides):
    login(client, user)
    response = client.post(CREATE, _form(**overrides))
    assert response.status_code == 302, response.content.decode()[:2000]
    return InvestmentProject.objects.latest("id")


def test_the_chosen_name_pairs_straddle_the_threshold(settings):
    assert settings.DUPLICATE_NAME_SIMILARITY == 0.85
    base = normalize_project_name(NAME)
    assert name_similarity(base, normalize_project_name(NEAR_NAME)) == Decimal("0.938")
    assert name_similarity(base, normalize_project_name(OTHER_NAME)) == Decimal("0.786")


# Detection -------------------------------------------------------------------------------------


def test_same_investor_code_in_another_agency_is_flagged_and_the_office_notified(client, world):
    first = _create(client, world.clerk_a1, name="光伏发电项目", investor_credit_code=CODE)
    assert first.agency == world.a1 and first.created_by == world.clerk_a1
    assert not DuplicateFlag.objects.exists()
    # Typed in lower case with spaces: normalised before comparing.
    spaced = f"{CODE[:6].lower()} {CODE[6:].lower()}"
    second = _create(client, world.clerk_a2, name="风电储能项目", investor_credit_code=spaced)
    assert second.investor_credit_code == CODE

    flag = DuplicateFlag.objects.get()
    assert (flag.project_id, flag.other_id) == (first.pk, second.pk)
    assert flag.reason == "same_investor" and flag.status == "open"
    assert flag.tenant == world.county_a

    notified = Notification.objects.filter(url=DUPLICATES)
    assert set(notified.values_list("user__username", flat=True)) == {"oa-a", "os-a"}
    assert "风电储能项目" in notified.first().title


def test_near_identical_name_in_another_agency_is_flagged(client, world):
    first = _create(client, world.clerk_a1, name=NAME)
    second = _create(client, world.clerk_a2, name=NEAR_NAME)
    flag = DuplicateFlag.objects.get()
    assert {flag.project_id, flag.other_id} == {first.pk, second.pk}
    assert flag.reason == "similar_name"
    assert flag.similarity == Decimal("0.938")


def test_names_below_the_threshold_and_different_codes_are_not_flagged(client, world):
    _create(client, world.clerk_a1, name=NAME)
    _create(client, world.clerk_a2, name=OTHER_NAME)
    _create(client, world.clerk_a2, name="丰宁县200MW光伏发电项目")
    assert not DuplicateFlag.objects.exists()
    assert not Notification.objects.filter(url=DUPLICATES).exists()


def test_same_agency_twice_is_not_a_duplicate_signing(client, world):
    _create(client, world.clerk_a1, name=NAME, investor_credit_code=CODE)
    _create(client, world.leader_a1, name=NAME, investor_credit_code=CODE)
    assert InvestmentProject.objects.filter(agency=world.a1).count() == 2
    assert not DuplicateFlag.objects.exists()


def test_another_county_is_not_compared(world):
    make_project(world.b1, name=NAME, investor_credit_code=CODE)
    make_project(world.a1, name=NAME, investor_credit_code=CODE)
    assert not DuplicateFlag.objects.exists()


def test_cancelled_projects_are_ignored(client, world):
    make_project(world.a1, name=NAME, investor_credit_code=CODE, status="cancelled")
    _create(client, world.clerk_a2, name=NAME, investor_credit_code=CODE)
    assert not DuplicateFlag.objects.exists()
    # A cancelled project is itself never compared either.
    _create(client, world.clerk_a1, name=NEAR_NAME, status="cancelled")
    assert not DuplicateFlag.objects.exists()


def test_editing_without_changing_name_or_code_adds_no_flag(client, world):
    first = make_project(world.a1, name=NAME, investor_credit_code=CODE)
    second = make_project(world.a2, name="另一个名称的项目", investor_credit_code=CODE)
    flag = DuplicateFlag.objects.get()
    login(client, world.office_staff_a)
    client.post(
        reverse("rectification:duplicate-decide", args=[flag.pk]),
        {f"flag{flag.pk}-status": "dismissed", f"flag{flag.pk}-note": "投资方相同，项目不同。"},
    )
    notices = Notification.objects.count()

    login(client, world.clerk_a2)
    response = client.post(
        reverse("rectification:project-edit", args=[second.pk]),
        _form(
            name=second.name,
            investor_credit_code=CODE,
            amount="80000000.00",
            signed_on=second.signed_on,
        ),
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.amount == Decimal("80000000.00")
    flag.refresh_from_db()
    assert DuplicateFlag.objects.count() == 1
    assert flag.status == "dismissed"  # the decision stands
    assert Notification.objects.count() == notices
    assert first.pk == flag.project_id


# The office's flag list and its decisions -------------------------------------------------------


def test_duplicate_list_shows_open_flags_first_with_both_projects(client, world):
    make_project(world.a1, name="甲项目", investor_credit_code=CODE)
    make_project(world.a2, name="乙项目", investor_credit_code=CODE)
    decided = services.flag_decide(
        flag=DuplicateFlag.objects.get(), status="dismissed", note="不是同一项目", actor=None
    )
    make_project(world.a1, name=NAME, investor_name="承德绿源食品有限公司", amount="1234567.8")
    make_project(world.a2, name=NEAR_NAME, investor_name="丰宁绿源食品有限公司")
    open_flag = DuplicateFlag.objects.get(status="open")

    login(client, world.office_admin_a)
    response = client.get(DUPLICATES)
    assert response.status_code == 200
    page = response.text
    assert page.index(f'data-testid="flag-{open_flag.pk}"') < page.index(
        f'data-testid="flag-{decided.pk}"'
    )
    for text in (
        NAME,
        NEAR_NAME,
        "承德绿源食品有限公司",
        "丰宁绿源食品有限公司",
        "县财政局",
        "大阁镇",
    ):
        assert text in page
    assert "1,234,567.80" in page and "0.938" in page
    assert "不是同一项目" in page
    assert f"flag{open_flag.pk}-note" in page  # the open flag has its decision form
    assert f"flag{decided.pk}-note" not in page

    response = client.get(DUPLICATES, {"status": "dismissed"})
    assert f'data-testid="flag-{open_flag.pk}"' not in response.text


def test_deciding_needs_a_note_and_records_who_decided(client, world):
    make_project(world.a1, investor_credit_code=CODE)
    make_project(world.a2, investor_credit_code=CODE)
    flag = DuplicateFlag.objects.get()
    url = reverse("rectification:duplicate-decide", args=[flag.pk])
    login(client, world.office_staff_a)

    response = client.post(url, {f"flag{flag.pk}-status": "confirmed", f"flag{flag.pk}-note": " "})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == "open" and flag.decided_by is None
    page = client.get(DUPLICATES).text
    assert "alert-danger" in page

    assert client.get(url).status_code == 405
    response = client.post(
        url, {f"flag{flag.pk}-status": "confirmed", f"flag{flag.pk}-note": "同一项目重复签约。"}
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == "confirmed" and flag.note == "同一项目重复签约。"
    assert flag.decided_by == world.office_staff_a and flag.decided_at is not None


def test_agencies_cannot_see_flags_nor_other_agencies_projects(client, world):
    own = make_project(world.a1, name=NAME, investor_credit_code=CODE)
    other = make_project(world.a2, name=NEAR_NAME, investor_credit_code=CODE)
    flag = DuplicateFlag.objects.get()
    login(client, world.clerk_a1)
    assert client.get(DUPLICATES).status_code == 403
    decide = reverse("rectification:duplicate-decide", args=[flag.pk])
    assert client.post(decide, {f"flag{flag.pk}-status": "dismissed"}).status_code == 403
    assert client.get(reverse("rectification:project-detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("rectification:project-edit", args=[other.pk])).status_code == 404
    response = client.get(reverse("rectification:project-detail", args=[own.pk]))
    assert response.status_code == 200
    assert "duplicate-badge" not in response.text and NEAR_NAME not in response.text

    response = client.get(LIST)
    assert NAME in response.text and NEAR_NAME not in response.text
    assert "duplicate-badge" not in response.text


def test_office_sees_every_agency_with_the_badge_and_cannot_enter_projects(client, world):
    flagged = make_project(world.a1, name=NAME, investor_credit_code=CODE)
    make_project(world.a2, name=NEAR_NAME, investor_credit_code=CODE)
    unique = make_project(world.a2, name="丰宁县200MW光伏发电项目")
    make_project(world.b1, name="隆化县项目")
    login(client, world.office_admin_a)
    response = client.get(LIST)
    assert response.status_code == 200
    assert NAME in response.text and NEAR_NAME in response.text and unique.name in response.text
    assert "隆化县项目" not in response.text
    assert response.text.count('data-testid="duplicate-badge"') == 2
    assert client.get(CREATE).status_code == 403

    response = client.get(LIST, {"possible_duplicate": "true"})
    assert unique.name not in response.text and NAME in response.text
    detail = client.get(reverse("rectification:project-detail", args=[unique.pk]))
    assert detail.status_code == 200 and 'data-testid="flags"' not in detail.text
    detail = client.get(reverse("rectification:project-detail", args=[flagged.pk]))
    assert 'data-testid="flags"' in detail.text and NEAR_NAME in detail.text
    assert "大阁镇" in detail.text and 'data-testid="duplicate-badge"' in detail.text


def test_city_viewer_reads_both_counties_without_flags(client, world):
    make_project(world.a1, name=NAME, investor_credit_code=CODE)
    make_project(world.a2, name=NEAR_NAME, investor_credit_code=CODE)
    make_project(world.b1, name="隆化县项目")
    make_project(world.c1, name="张北县项目")
    login(client, world.city_viewer)
    response = client.get(LIST)
    assert "隆化县项目" in response.text and NAME in response.text
    assert "张北县项目" not in response.text
    assert "duplicate-badge" not in response.text
    assert client.get(DUPLICATES).status_code == 403
    assert client.get(CREATE).status_code == 403


# Forms, filters, export ---------------------------------------------------------------------


def test_bad_credit_code_is_refused_and_nothing_saved(client, world):
    login(client, world.clerk_a1)
    bad = CODE[:-1] + ("0" if CODE[-1] != "0" else "1")
    response = client.post(CREATE, _form(investor_credit_code=bad))
    assert response.status_code == 200
    assert "invalid-feedback" in response.text
    response = client.post(CREATE, _form(name="", amount="-1"))
    assert response.status_code == 200
    assert not InvestmentProject.objects.exists()


def test_filters_narrow_the_list(client, world):
    early = make_project(
        world.a1, name="早签项目", signed_on=datetime.date(2025, 1, 5), industry="文化旅游"
    )
    late = make_project(world.a2, name="晚签项目", signed_on=datetime.date(2026, 5, 5))
    cancelled = make_project(world.a2, name="撤销项目", status="cancelled")
    login(client, world.office_staff_a)

    def shown(**params):
        text = client.get(LIST, params).text
        return {p.name for p in (early, late, cancelled) if p.name in text}

    assert shown() == {"早签项目", "晚签项目", "撤销项目"}
    assert shown(agency=world.a1.pk) == {"早签项目"}
    assert shown(status="cancelled") == {"撤销项目"}
    assert shown(signed_from="2026-01-01", signed_to="2026-12-31") == {"晚签项目", "撤销项目"}
    assert shown(signed_to="2025-12-31") == {"早签项目"}
    assert shown(industry="文化") == {"早签项目"}
    assert shown(q=late.investor_name) == {"晚签项目"}
    assert shown(q=early.investor_credit_code.lower()) == {"早签项目"}


def test_export_has_the_filtered_rows_and_is_logged(client, world):
    make_project(world.a1, name=NAME, investor_credit_code=CODE, amount=Decimal("1234567.80"))
    make_project(world.a2, name=NEAR_NAME, investor_credit_code=CODE)
    make_project(world.a2, name="=HYPERLINK(1)")
    login(client, world.office_admin_a)
    response = client.get(EXPORT, {"agency": world.a1.pk})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].values)
    assert len(rows) == 2
    agency, name, _investor, code, signed_on, amount = rows[1][:6]
    assert (agency, name, code) == ("县财政局", NAME, CODE)
    assert Decimal(str(amount)) == Decimal("1234567.8")
    assert rows[1][-1] in ("Yes", "是")  # possible duplicate (the office's column)
    event = SecurityEvent.objects.filter(kind="export").latest("id")
    assert event.user == world.office_admin_a

    rows = list(load_workbook(io.BytesIO(client.get(EXPORT).content)).worksheets[0].values)
    assert len(rows) == 4
    assert "'=HYPERLINK(1)" in [value for row in rows for value in row]

    login(client, world.clerk_a2)
    rows = list(load_workbook(io.BytesIO(client.get(EXPORT).content)).worksheets[0].values)
    assert len(rows) == 3  # its own two, without the duplicate column
    assert len(rows[0]) == 10


@pytest.mark.parametrize("status", ["started", "in_operation"])
def test_edit_changes_status_and_keeps_the_agency(client, world, status):
    project = make_project(world.a1)
    login(client, world.leader_a1)
    url = reverse("rectification:project-edit", args=[project.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, _form(name=project.name, status=status))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == status and project.agency == world.a1
