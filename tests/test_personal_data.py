"""Personal-data scan (issue 9): with the demo data, every public page and every public API
answer is read by an anonymous visitor, and none may show a resident ID number, a mobile number
or the full name of a natural person unmasked (DOMAIN.md: names of natural persons,
complainants' contact details and ID numbers are masked on every public page and in the public
API).

What is looked for comes from the data, not from the code under test: every 18-character number
that passes the GB 11643 check (python-stdnum), every mainland mobile number, and every full name
held in a field the models give to a natural person (civil servants who are the subject of a
record, applicants, complainants, responsible persons of ledger issues and joint measures,
milestone owners, agency leaders and contacts, users).

The crawl starts from the public index, every URL pattern of the public URL modules with the
demo's arguments (every public record, notice, publication and agency) and the public API's
lists; it follows every link under /public/, the API's `next` links and the detail of every row.
The tracking pages (reached by a POST with a receipt code) are read for every demo request and
complaint. A negative control feeds the detector unmasked data, and the crawl must have visited
every public record, so the scan cannot pass by finding nothing to look at.
"""

from __future__ import annotations

import json
import re
from html import unescape

import pghistory.models
import pytest
from django.apps import apps
from django.core.cache import cache
from django.db.models import CharField
from django.test import Client
from django.urls import reverse
from stdnum.cn import ric

from accounts.models import Agency, Tenant
from domains import selectors as domain_selectors
from domains.models import CreditRequest, TrustRecord
from integrity.masking import mask_name
from scoring.models import Publication
from supervision.models import Complaint
from tests.crawling import Crawl, Page, crawl, public_api_details, seeded_demo

pytestmark = pytest.mark.django_db

OUR_APPS = ("accounts", "domains", "supervision", "rectification", "scoring", "monitoring")
COUNTIES = ("130826", "130825")

# The detector ------------------------------------------------------------------------------

ID_RE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9Xx])")
MOBILE_RE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")

# Fields the models give to a natural person's name (by their names: a new `…_person`,
# `…owner`, `applicant_name`… field is scanned by default). TrustRecord.subject_name is a
# person's name only for a civil servant (`is_natural_person`) and is added apart.
PERSON_FIELD = re.compile(
    r"(?:^|_)(?:person|owner|applicant_name|complainant_name|leader_name|contact_name"
    r"|display_name|first_name|last_name)$"
)
# The hundred commonest surnames and the compound ones: a full name is a surname and one to
# three characters, not a title ("赵先生", "王科长") or a unit ("计财股", "黄旗镇").
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐")
TITLES = (
    "先生",
    "女士",
    "同志",
    "老师",
    "科长",
    "股长",
    "局长",
    "主任",
    "书记",
    "镇长",
    "乡长",
    "县长",
    "处长",
    "部长",
    "经理",
    "负责人",
)
UNIT_ENDINGS = set("局办镇乡府会司股所室员院委队站部厅处科组社村中心")
HAN = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


def is_full_name(token: str) -> bool:
    if not HAN.match(token) or token.endswith(TITLES) or token[-1] in UNIT_ENDINGS:
        return False
    if token.startswith(COMPOUND_SURNAMES):
        return len(token) >= 3
    return token[0] in SURNAMES


def full_names(value: str) -> set[str]:
    """The full names in a field's value ("外经股 王建国" → 王建国)."""
    return {t for t in re.split(r"[\s,，、;；/()（）·]+", value or "") if is_full_name(t)}


def person_name_fields() -> list[tuple]:
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label not in OUR_APPS or issubclass(model, pghistory.models.Event):
            continue
        for field in meta.concrete_fields:
            if isinstance(field, CharField) and PERSON_FIELD.search(field.name):
                found.append((model, field))
    return found


def person_names() -> set[str]:
    """Every natural person's full name the database holds."""
    names: set[str] = set()
    for model, field in person_name_fields():
        for value in model._base_manager.values_list(field.name, flat=True).distinct():
            names |= full_names(value)
    for record in TrustRecord._base_manager.all():
        if record.is_natural_person:
            names |= full_names(record.subject_name)
    return names


def is_resident_id(number: str) -> bool:
    """The GB 11643 check digit is right and the birth date is a date. (stdnum's is_valid()
    also wants the area code of the birth year, which refuses real numbers, see
    accounts.validators.validate_resident_id; calc_check_digit() reads the first 17.)"""
    number = number.upper()
    if ric.calc_check_digit(number) != number[-1]:
        return False
    try:
        ric.get_birth_date(number)
    except ValueError:
        return False
    return True


def leaks(text: str, names: set[str]) -> list[tuple[str, str]]:
    """Unmasked personal data in a text: (kind, what)."""
    found = [("id", m) for m in ID_RE.findall(text) if is_resident_id(m)]
    found += [("mobile", m) for m in MOBILE_RE.findall(text)]
    found += [("name", name) for name in sorted(names) if name in text]
    return found


def readable(page: Page) -> str:
    """What a reader of the page gets: HTML with its entities decoded, JSON with its \\u
    escapes decoded."""
    if page.is_json:
        return json.dumps(json.loads(page.body), ensure_ascii=False)
    return unescape(page.text)


# The crawl ---------------------------------------------------------------------------------


def demo_arguments() -> dict[str, list[dict]]:
    """Every URL pattern of the public URL modules, with every demo object it can show."""
    county_rows = [{"division_code": code} for code in COUNTIES]
    records, notices, rankings, agencies = [], [], [], []
    for tenant in Tenant.objects.filter(division_code__in=COUNTIES):
        code = tenant.division_code
        records += [
            {"division_code": code, "public_id": r.public_id}
            for r in domain_selectors.public_records(tenant=tenant)
        ]
        notices += [
            {"division_code": code, "public_id": n.public_id}
            for n in domain_selectors.published_notices(tenant=tenant)
        ]
        rankings += [
            {"division_code": code, "pk": pk}
            for pk in Publication.objects.filter(tenant=tenant).values_list("pk", flat=True)
        ]
        agencies += [
            {"division_code": code, "pk": pk}
            for pk in Agency.objects.filter(tenant=tenant).values_list("pk", flat=True)
        ]
    return {
        "public:index": [{}],
        "public:record-list": county_rows,
        "public:record-detail": records,
        "public:objection-create": records,
        "public:repair-create": records,
        "public:request-track": county_rows,
        "public:notice-list": county_rows,
        "public:notice-detail": notices,
        "public-complaints:complaint-create": county_rows,
        "public-complaints:complaint-track": county_rows,
        "public-scoring:rankings": county_rows,
        "public-scoring:ranking-detail": rankings,
        "public-scoring:notices": county_rows,
        "public-scoring:agency-profile": agencies,
    }


def public_url_names() -> set[str]:
    from domains import public_urls as domains_public
    from scoring import public_urls as scoring_public
    from supervision import public_urls as supervision_public

    return {
        f"{module.app_name}:{pattern.name}"
        for module in (domains_public, supervision_public, scoring_public)
        for pattern in module.urlpatterns
    }


def follow_public(url: str) -> bool:
    return url.startswith(("/public/", "/api/v1/public/"))


def tracking_pages(client) -> list[Page]:
    """The tracking answer for every demo objection, repair application and complaint."""
    pages = []
    for name, codes in (
        ("public:request-track", CreditRequest.objects.select_related("tenant")),
        ("public-complaints:complaint-track", Complaint.objects.select_related("tenant")),
    ):
        for item in codes:
            url = reverse(name, args=[item.tenant.division_code])
            response = client.post(url, {"receipt_code": item.receipt_code})
            pages.append(
                Page(url, response.status_code, response["Content-Type"], response.content)
            )
    return pages


@pytest.fixture(scope="module")
def scan(django_db_setup, django_db_blocker, tmp_path_factory):
    with seeded_demo(django_db_blocker, tmp_path_factory.mktemp("media")):
        cache.clear()
        arguments = demo_arguments()
        starts = [
            reverse(name, kwargs=kwargs) for name, rows in arguments.items() for kwargs in rows
        ]
        starts.append(reverse("v1:public-county-list"))
        for code in COUNTIES:
            for name in ("record", "notice", "commitment", "ranking"):
                starts.append(reverse(f"v1:public-{name}-list", args=[code]))
        client = Client()
        result = crawl(
            client,
            starts,
            follow=follow_public,
            per_route=1000,
            limit=1000,
            more_links=public_api_details,
        )
        cache.clear()  # the tracking lookups are throttled per address
        tracking = tracking_pages(client)
        yield {
            "crawl": result,
            "tracking": tracking,
            "names": person_names(),
            "records": {str(r.public_id): r for r in domain_selectors.public_records()},
            "arguments": arguments,
        }


# Tests -------------------------------------------------------------------------------------


def test_the_detector_fires_on_unmasked_personal_data():
    """Negative control: a page with an unmasked ID number, mobile number and name is caught;
    the masked forms the platform prints are not, nor numbers that are no ID."""
    names = {"李建国"}
    page = "<p>李建国，身份证号130826197805121239，手机13831412345。</p>"
    assert leaks(page, names) == [
        ("id", "130826197805121239"),
        ("mobile", "13831412345"),
        ("name", "李建国"),
    ]
    masked = "<p>李**，身份证号130826********1239，手机138****2345，电话0314-8012345。</p>"
    assert leaks(masked, names) == []
    assert leaks("编号130826197805121230", names) == []  # fails the GB 11643 check
    assert leaks("订单12345678901234567890", names) == []  # digits inside a longer number
    assert full_names("外经股 王建国") == {"王建国"}
    assert full_names("赵先生") == full_names("王科长") == full_names("计财股") == set()
    assert full_names("欧阳娜娜") == {"欧阳娜娜"}
    assert full_names("黄旗镇人民政府") == full_names("县发改局负责人") == set()


def test_the_demo_holds_personal_data_to_leak(scan):
    """The scan has something to find: the demo's natural persons, an ID number, mobiles."""
    labels = {f"{m._meta.label}.{f.name}" for m, f in person_name_fields()}
    assert {
        "accounts.User.display_name",
        "accounts.Agency.leader_name",
        "accounts.Agency.contact_name",
        "domains.CreditRequest.applicant_name",
        "domains.JointMeasure.responsible_person",
        "supervision.Complaint.complainant_name",
        "rectification.LedgerIssue.responsible_person",
        "rectification.Milestone.owner",
    } <= labels
    names = scan["names"]
    assert {"李建国", "张明", "王建国"} <= names
    assert len(names) >= 8
    assert TrustRecord.objects.exclude(person_id_number="").exists()
    assert Complaint.objects.filter(complainant_phone__regex=r"^1[3-9][0-9]{9}$").exists()


def test_the_crawl_read_every_public_record_and_page(scan):
    result: Crawl = scan["crawl"]
    assert not [(p.url, p.status) for p in result.pages if p.status != 200]
    html = [p for p in result.html()]
    api = [p for p in result.json()]
    assert len(html) >= 60
    assert len(api) >= 15
    records = scan["records"]
    assert len(records) >= 5
    for public_id, record in records.items():
        code = record.tenant.division_code
        pages = [p for p in html if p.url == f"/public/{code}/records/{public_id}/"]
        answers = [p for p in api if p.url == f"/api/v1/public/{code}/records/{public_id}/"]
        assert pages and answers, public_id
    # The natural person on the public side was seen, masked.
    person = next(r for r in records.values() if r.is_natural_person)
    masked = mask_name(person.subject_name)
    assert any(masked in readable(p) for p in html)
    assert any(masked in readable(p) for p in api)
    tracking = scan["tracking"]
    assert len(tracking) >= 5 and all(p.status == 200 for p in tracking)


def test_no_public_page_shows_unmasked_personal_data(scan):
    names = scan["names"]
    pages = [*scan["crawl"].html(), *scan["tracking"]]
    found = [(p.url, leak) for p in pages for leak in leaks(readable(p), names)]
    assert not found, "\n".join(map(str, found[:40]))


def test_no_public_api_answer_shows_unmasked_personal_data(scan):
    names = scan["names"]
    found = [(p.url, leak) for p in scan["crawl"].json() for leak in leaks(readable(p), names)]
    assert not found, "\n".join(map(str, found[:40]))


def test_every_public_url_pattern_has_demo_arguments(scan):
    """A new public page cannot escape the scan: every pattern of the public URL modules
    must be given its demo arguments in demo_arguments(), and has some."""
    assert set(scan["arguments"]) == public_url_names()
    assert all(scan["arguments"].values())


def test_numbers_typed_into_public_free_text_are_masked(scan):
    """Beyond the demo: a mobile and an ID number typed into the free text the public side
    shows (a record's facts, a case notice's body, a ranking notice) come out masked, on the
    pages and in the API. (Rolled back with the test.)"""
    import pgtrigger

    from domains.models import CaseNotice

    typed = "经核实，当事人电话13912345678，身份证号130826197805121239。"
    public = list(domain_selectors.public_records())
    TrustRecord.objects.filter(pk__in=[r.pk for r in public]).update(facts=typed)
    CaseNotice.objects.update(body=typed)
    with pgtrigger.ignore("scoring.Publication:publication_snapshot_immutable"):
        Publication.objects.update(notice=typed)
    cache.clear()  # update() moves no cache version
    record, notice = public[0], CaseNotice.objects.filter(status="published").first()
    code = record.tenant.division_code
    urls = [
        reverse("public:record-detail", args=[code, record.public_id]),
        reverse("public:notice-detail", args=[notice.tenant.division_code, notice.public_id]),
        reverse("public-scoring:notices", args=[code]),
        reverse("v1:public-record-detail", args=[code, record.public_id]),
        reverse("v1:public-notice-detail", args=[notice.tenant.division_code, notice.public_id]),
        reverse("v1:public-ranking-list", args=[code]),
    ]
    client = Client()
    for url in urls:
        response = client.get(url)
        page = Page(url, response.status_code, response["Content-Type"], response.content)
        text = readable(page)
        assert "139****5678" in text and "130826********1239" in text, url
        assert leaks(text, scan["names"]) == [], url
    cache.clear()
