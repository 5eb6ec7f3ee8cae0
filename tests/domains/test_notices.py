"""Case notices (失信案件通报): staff compose from records, an office admin publishes, the
public sees the masked text, a withdrawal takes the notice off the public side and is audited."""

import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pghistory.models import Events

from accounts.choices import SecurityEventKind
from accounts.models import SecurityEvent
from domains import services
from domains.choices import NoticeStatus
from domains.models import CaseNotice
from integrity.masking import mask_id_number, mask_phone
from tests.conftest import login
from tests.domains.public_helpers import (
    OFFICER_ID,
    OFFICER_NAME,
    OFFICER_PHONE,
    division,
    officer_record,
    prepared,
    public_record,
    zh,
)


@pytest.fixture
def county(world):
    yield from prepared(world)


LIST = "/notices/"
CREATE = "/notices/new/"
BODY = (
    f"经查，{OFFICER_NAME} 在担任县财政局科长期间拖欠民营企业工程款。"
    f"身份证号 {OFFICER_ID} ，联系电话 {OFFICER_PHONE} 。现予通报。"
)


def notice(
    world,
    *,
    records=None,
    status=NoticeStatus.DRAFT,
    agency=None,
    body=BODY,
    title="关于县财政局拖欠民营企业账款问题的通报",
):
    records = records or [
        officer_record(world) if agency is None else public_record(world, agency=agency)
    ]
    tenant = records[0].tenant
    item = services.notice_save(
        tenant=tenant,
        actor=world.office_staff_a,
        data={
            "title": title,
            "document_number": "丰信用办〔2026〕3号",
            "body": body,
            "records": records,
        },
    )
    if status != NoticeStatus.DRAFT:
        services.notice_publish(notice=item, actor=world.office_admin_a)
    if status == NoticeStatus.WITHDRAWN:
        services.notice_withdraw(notice=item, reason="通报有误", actor=world.office_admin_a)
    return item


def url(name, item) -> str:
    return reverse(f"domains:notice-{name}", args=[item.pk])


def public_url(world, item=None) -> str:
    if item is None:
        return reverse("public:notice-list", args=[division(world)])
    return reverse("public:notice-detail", args=[division(world), item.public_id])


# Permissions ---------------------------------------------------------------------------

ROLES = [
    "platform_admin",
    "office_admin_a",
    "office_staff_a",
    "clerk_a1",
    "leader_a1",
    "evaluator_a",
    "city_viewer",
]
VIEW = {"platform_admin", "office_admin_a", "office_staff_a", "city_viewer"}
COMPOSE = {"platform_admin", "office_admin_a", "office_staff_a"}
PUBLISH = {"platform_admin", "office_admin_a"}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_view_compose_publish(client, county, role):
    draft = notice(county)
    login(client, getattr(county, role))
    for target in (LIST, "/notices/export/", url("detail", draft)):
        assert client.get(target).status_code == (200 if role in VIEW else 403), target
    assert client.get(CREATE).status_code == (200 if role in COMPOSE else 403)
    assert client.get(url("update", draft)).status_code == (200 if role in COMPOSE else 403)
    response = client.post(url("publish", draft))
    assert response.status_code == (302 if role in PUBLISH else 403)
    draft.refresh_from_db()
    assert (draft.status == NoticeStatus.PUBLISHED) is (role in PUBLISH)
    response = client.post(url("withdraw", draft), {"reason": "撤回"})
    assert response.status_code == (302 if role in PUBLISH else 403)
    draft.refresh_from_db()
    assert (draft.status == NoticeStatus.WITHDRAWN) is (role in PUBLISH)


def test_other_county_gets_404_and_city_reads_its_counties(client, county):
    item = notice(county)
    login(client, county.office_admin_b)
    assert client.get(url("detail", item)).status_code == 404
    assert client.post(url("publish", item)).status_code == 404
    assert item.title not in client.get(LIST).text
    login(client, county.city_viewer)
    assert client.get(url("detail", item)).status_code == 200
    assert item.title in client.get(LIST).text
    assert client.post(url("publish", item)).status_code == 403
    item.refresh_from_db()
    assert item.status == NoticeStatus.DRAFT


# Compose -----------------------------------------------------------------------------------


def test_staff_compose_a_draft_from_records(client, county):
    first = officer_record(county)
    second = public_record(county)
    foreign = public_record(county, agency=county.b1)
    login(client, county.office_staff_a)
    form = client.get(CREATE)
    choices = {choice.pk for choice in form.context["form"].fields["records"].queryset}
    assert {first.pk, second.pk} <= choices and foreign.pk not in choices

    response = client.post(
        CREATE,
        {
            "title": "关于大阁镇拖欠工程款问题的通报",
            "document_number": "丰信用办〔2026〕1号",
            "body": BODY,
            "records": [first.pk, second.pk],
        },
    )
    assert response.status_code == 302
    item = CaseNotice.objects.get()
    assert response["Location"] == url("detail", item)
    assert (item.tenant, item.status, item.created_by) == (
        county.county_a,
        NoticeStatus.DRAFT,
        county.office_staff_a,
    )
    assert set(item.records.all()) == {first, second}
    # A draft is not public.
    client.logout()
    assert client.get(public_url(county, item)).status_code == 404
    assert item.title not in client.get(public_url(county)).text


@pytest.mark.parametrize(
    "data, field",
    [
        ({"title": "", "body": "正文"}, "title"),
        ({"title": "通报", "body": ""}, "body"),
        ({"title": "通报", "body": "正文", "records": []}, "records"),
    ],
)
def test_compose_refuses_bad_input(client, county, data, field):
    record = public_record(county)
    data = {"records": [record.pk], **data}
    login(client, county.office_staff_a)
    response = client.post(CREATE, data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not CaseNotice.objects.exists()


def test_records_of_another_county_cannot_be_chosen(client, county):
    foreign = public_record(county, agency=county.b1)
    login(client, county.office_staff_a)
    response = client.post(CREATE, {"title": "通报", "body": "正文", "records": [foreign.pk]})
    assert response.context["form"].errors["records"]
    assert not CaseNotice.objects.exists()


def test_edit_a_draft_only(client, county):
    item = notice(county)
    extra = public_record(county)
    login(client, county.office_staff_a)
    page = client.get(url("update", item))
    assert page.context["form"].initial["title"] == item.title
    response = client.post(
        url("update", item),
        {
            "title": "更正后的标题",
            "document_number": item.document_number,
            "body": BODY,
            "records": [extra.pk],
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.title == "更正后的标题"
    assert list(item.records.all()) == [extra]
    services.notice_publish(notice=item, actor=county.office_admin_a)
    response = client.post(
        url("update", item), {"title": "再改", "body": "x", "records": [extra.pk]}, follow=True
    )
    assert zh("Only a draft notice can be edited.") in response.text
    item.refresh_from_db()
    assert item.title == "更正后的标题"


# Publish, public side, withdraw ------------------------------------------------------------


def test_publish_shows_the_masked_notice_on_the_public_side(client, county):
    item = notice(county)
    login(client, county.office_admin_a)
    detail = client.get(url("detail", item)).text
    # The office sees the text and, beside it, what the public will see.
    public_text = detail.split('data-testid="notice-public-text"')[1].split("</div>")[0]
    assert OFFICER_NAME in detail.split('data-testid="notice-body"')[1]
    assert OFFICER_NAME not in public_text and "王**" in public_text
    assert mask_phone(OFFICER_PHONE) in public_text

    assert client.post(url("publish", item)).status_code == 302
    item.refresh_from_db()
    assert item.status == NoticeStatus.PUBLISHED
    assert item.published_by == county.office_admin_a

    anonymous = Client()
    listing = anonymous.get(public_url(county))
    assert item.title in listing.text
    page = anonymous.get(public_url(county, item))
    assert page.status_code == 200
    html = page.text
    for secret in (OFFICER_NAME, OFFICER_ID, OFFICER_PHONE):
        assert secret not in html
    assert "王**" in html
    assert mask_id_number(OFFICER_ID) in html
    assert mask_phone(OFFICER_PHONE) in html
    # Another county's public pages do not show it.
    other = reverse("public:notice-detail", args=[county.county_b.division_code, item.public_id])
    assert anonymous.get(other).status_code == 404


def test_publishing_twice_is_refused(client, county):
    item = notice(county, status=NoticeStatus.PUBLISHED)
    login(client, county.office_admin_a)
    response = client.post(url("publish", item), follow=True)
    assert zh("Only a draft notice can be published.") in response.text


def test_withdrawal_needs_a_reason_then_hides_the_notice_and_is_audited(client, county):
    item = notice(county, status=NoticeStatus.PUBLISHED)
    anonymous = Client()
    assert anonymous.get(public_url(county, item)).status_code == 200
    login(client, county.office_admin_a)

    response = client.post(url("withdraw", item), {"reason": ""})
    assert response.status_code == 400
    assert response.context["withdraw_form"].errors["reason"]
    item.refresh_from_db()
    assert item.status == NoticeStatus.PUBLISHED

    response = client.post(url("withdraw", item), {"reason": "所涉记录已撤销"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == NoticeStatus.WITHDRAWN
    assert item.withdraw_reason == "所涉记录已撤销"
    assert anonymous.get(public_url(county, item)).status_code == 404
    assert item.title not in anonymous.get(public_url(county)).text
    assert "所涉记录已撤销" in client.get(url("detail", item)).text

    event = Events.objects.tracks(item).filter(pgh_label="update").order_by("-pgh_id").first()
    assert event.pgh_diff["status"] == [NoticeStatus.PUBLISHED, NoticeStatus.WITHDRAWN]
    assert event.pgh_diff["withdraw_reason"] == ["", "所涉记录已撤销"]
    assert event.pgh_context["username"] == county.office_admin_a.username


def test_a_withdrawn_notice_cannot_be_withdrawn_again_or_edited(client, county):
    item = notice(county, status=NoticeStatus.WITHDRAWN)
    login(client, county.office_admin_a)
    response = client.post(url("withdraw", item), {"reason": "再次撤回"}, follow=True)
    assert zh("Only a published notice can be withdrawn.") in response.text
    item.refresh_from_db()
    assert item.withdraw_reason == "通报有误"
    assert client.get(url("update", item)).status_code == 302


def test_public_notice_list_shows_only_published_with_a_search(client, county):
    published = notice(county, status=NoticeStatus.PUBLISHED)
    notice(county, title="草稿通报")
    notice(county, status=NoticeStatus.WITHDRAWN, title="已撤回通报")
    listing = client.get(public_url(county)).text
    assert published.title in listing
    assert "草稿通报" not in listing and "已撤回通报" not in listing
    assert published.title not in client.get(public_url(county), {"q": "不存在"}).text
    assert published.title in client.get(public_url(county), {"q": "丰信用办"}).text


# Office list and export ---------------------------------------------------------------------


def test_office_list_filters_and_export(client, county):
    draft = notice(county)
    notice(county, status=NoticeStatus.PUBLISHED, title="已发布的通报")
    notice(county, agency=county.b1)  # county B: never listed
    login(client, county.office_staff_a)
    listing = client.get(LIST, {"status": NoticeStatus.DRAFT})
    assert [n.pk for n in listing.context["object_list"]] == [draft.pk]
    response = client.get("/notices/export/", {"status": NoticeStatus.PUBLISHED})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0][:3]) == [zh("Title"), zh("Document number"), zh("Status")]
    assert [row[0] for row in rows[1:]] == ["已发布的通报"]
    event = SecurityEvent.objects.get(kind=SecurityEventKind.EXPORT)
    assert event.detail["what"] == "case-notices" and event.detail["rows"] == 1


def test_platform_admin_chooses_the_county(client, county):
    record = public_record(county)
    login(client, county.platform_admin)
    form = client.get(CREATE).context["form"]
    assert county.county_a in form.fields["tenant"].queryset
    assert county.city not in form.fields["tenant"].queryset
    response = client.post(
        CREATE,
        {"tenant": county.county_b.pk, "title": "通报", "body": "正文", "records": [record.pk]},
    )
    assert response.context["form"].errors["records"]  # county A's record, county B's notice
    assert not CaseNotice.objects.exists()
    response = client.post(
        CREATE,
        {"tenant": county.county_a.pk, "title": "通报", "body": "正文", "records": [record.pk]},
    )
    assert response.status_code == 302
    assert CaseNotice.objects.get().tenant == county.county_a
