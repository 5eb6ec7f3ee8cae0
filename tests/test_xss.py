"""Stored XSS sweep (issue 9): every free-text field of every model of our apps holds an attack,
and every page that shows it renders it escaped.

The demo data is seeded once for the module, then every concrete CharField / TextField of every
model of our apps (found generically, so a new field is attacked by default) is overwritten with
queryset.update() — which skips every form and service, as data from an import, an old release or
the API could — by a payload tagged with the field's number (F0a):

    =F0a<script>alert(1)</script>"><img src=x onerror=alert(1)>
        </textarea><svg onload=alert(1)>{{7*7}}          (one line)

(shorter for short columns; the first character rotates through = + - @ for the Excel checks;
`javascript:alert(1)//F0a` for the URL fields; rich text and the JSON fields users type into get
their own payloads). Then every role crawls its pages from its home page and every URL pattern
without arguments (lists, details, print pages, exports, audit, notifications), anonymous
visitors crawl the public side and the public API, the office crawls the API. Each HTML page is
parsed the way a browser would: no script element, event handler or javascript: URL of ours may
exist in it; each poisoned field must be found escaped on some page (or be listed in NOT_SHOWN
with the reason), so the sweep cannot pass by looking at pages that show nothing; every Excel
file must hold the payloads as text, never as formulas.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser

import pghistory.models
import pgtrigger
import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import models
from django.db.models import CharField, TextField, Value
from django.db.models.functions import Cast, Concat
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from openpyxl import load_workbook

from accounts.models import User
from integrity.richtext import clean_html
from tests.crawling import Crawl, crawl, public_api_details, seeded_demo

# The test database is set up for marked tests only; the module's data is the `sweep` fixture's.
pytestmark = pytest.mark.django_db

OUR_APPS = (
    "accounts",
    "domains",
    "supervision",
    "rectification",
    "scoring",
    "monitoring",
    "webhooks",
    "integrity",
)

# Free-text fields that are not attacked, and why. Choice fields are skipped by rule (their
# values are keys the code looks up, shown through their labels), and so are the pghistory event
# models (their rows are the database triggers' snapshots of the fields below, so the audit pages
# show the payloads of the fields below). Everything else is attacked: a new field is covered
# until someone writes here why it need not be.
EXCLUDED = {
    # Secrets and hashes: never shown, and the login and the API keys need them intact.
    "accounts.User.password": "password hash",
    "accounts.ApiClient.key_hash": "SHA-256 of the API key",
    "accounts.ApiClient.key_prefix": "lookup prefix of the API key (16 characters)",
    "webhooks.WebhookEndpoint.secret": "signing secret, never shown after creation",
    "accounts.TotpDevice.key": "shared secret of the authenticator app",
    "accounts.RecoveryCode.code_hash": "digest of a recovery code",
    # Codes validated by their format (the service refuses anything else); the pages look
    # records up by them.
    "accounts.User.username": "login name, UnicodeUsernameValidator",
    "accounts.User.email": "EmailValidator",
    "accounts.Tenant.division_code": "6-digit administrative division code",
    "accounts.Agency.credit_code": "GB 32100 unified social credit code",
    "domains.TrustRecord.subject_credit_code": "GB 32100 unified social credit code",
    "domains.TrustRecord.person_id_number": "GB 11643 resident ID number",
    "rectification.LedgerIssue.subject_credit_code": "GB 32100 unified social credit code",
    "rectification.LedgerIssue.creditor_credit_code": "GB 32100 unified social credit code",
    "rectification.InvestmentProject.investor_credit_code": "GB 32100 unified social credit code",
    "domains.KeyDomain.code": "slug",
    "domains.DomainField.key": "slug, the form field name of the extra ledger field",
    "scoring.Indicator.code": "slug",
    "accounts.ApiClient.rate": "request limit such as 600/min, parsed by the throttle",
    "domains.CreditRequest.receipt_code": "generated receipt code, looked up on the public side",
    "supervision.Complaint.receipt_code": "generated receipt code, looked up on the public side",
    # Keys the code looks up in its own registries; no user ever types them.
    "scoring.Indicator.calculator": "key of the calculator registry",
    "scoring.AgencyScore.ranking_group": "RankingGroup value copied by the score run",
    "webhooks.WebhookDelivery.event_type": "key of the webhook event registry",
    "integrity.Tombstone.resource": "API collection name of the change feed",
    # Set by the server from the sniffed upload, and sent back as the Content-Type header of
    # the download (never shown in a page).
    "domains.RecordAttachment.content_type": "sniffed MIME type",
    "domains.CommitmentAttachment.content_type": "sniffed MIME type",
    "supervision.ComplaintAttachment.content_type": "sniffed MIME type",
    "supervision.EvaluationReport.content_type": "sniffed MIME type",
    "rectification.Evidence.content_type": "sniffed MIME type",
}

# Attacked, but no page shows them, so the coverage check cannot ask to find them.
NOT_SHOWN = {
    "accounts.User.first_name": "unused: users have display_name",
    "accounts.User.last_name": "unused: users have display_name",
    "rectification.InvestmentProject.normalized_name": "matching key derived from the name",
    "monitoring.Warning.dedupe_key": "internal key that keeps one open warning per condition",
    "accounts.TotpDevice.name": "django-otp's device label; the two-factor pages never show it",
    "accounts.RecoveryCodeDevice.name": "django-otp's device label, never shown",
    # Shown only as the target of a link, and only when it is a path of this site
    # (ui.site_path): the javascript: URL it holds here is dropped.
    "accounts.Notification.url": "link target only",
}

# Fields holding a link the pages may put in an href: attacked with a javascript: URL.
URL_FIELDS = {
    "accounts.Notification.url",
    "monitoring.Warning.evidence_url",
    "webhooks.WebhookEndpoint.url",
    "webhooks.WebhookAttempt.url",
}

# Fields whose value starts with "=" whatever the rotation: they are written into the hidden
# list sheets of the Excel templates (dropdown options), where a leading "=" made a formula.
FORMULA_FIRST = {
    "accounts.Agency.name",
    "domains.KeyDomain.name",
    "domains.ProblemType.name",
    "domains.DomainField.label",
}

PREFIXES = ("=", "+", "-", "@")
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
TEXTAREA = "</textarea><svg onload=alert(1)>"
TEMPLATE = "{{7*7}}"
RICH_MARK = "rich-ok"

# A tag as it appears in HTML (escaped) and in JSON (raw).
ESCAPED_TAG = re.compile(r"F([0-9a-z]{2})&lt;(?:script|svg)")
RAW_TAG = re.compile(r"F([0-9a-z]{2})<(?:script|svg)")
URL_TAG = re.compile(r"javascript:alert\(1\)//F([0-9a-z]{2})")
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def is_event_model(model) -> bool:
    return issubclass(model, pghistory.models.Event)


def inventory() -> dict[str, tuple]:
    """Every concrete free-text field of our apps: {"app.Model.field": (model, field)}."""
    found = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label not in OUR_APPS or meta.proxy or is_event_model(model):
            continue
        for field in meta.concrete_fields:
            if isinstance(field, (CharField, TextField)) and not field.choices:
                found[f"{meta.label}.{field.name}"] = (model, field)
    return found


def tag_of(index: int) -> str:
    return "F" + DIGITS[index // 36] + DIGITS[index % 36]


def unique_fields(model) -> set[str]:
    names = {f.name for f in model._meta.concrete_fields if f.unique}
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            names |= set(constraint.fields)
    for together in model._meta.unique_together:
        names |= set(together)
    return names


def payload_for(label: str, field, index: int, *, unique: bool) -> str:
    """The longest payload the column holds (with room for the suffix of a unique column)."""
    tag = tag_of(index)
    if label in URL_FIELDS:
        return f"javascript:alert(1)//{tag}"
    prefix = "=" if label in FORMULA_FIRST else PREFIXES[index % len(PREFIXES)]
    room = (field.max_length or 10_000) - (8 if unique else 0)
    for body in (SCRIPT + IMG + TEXTAREA + TEMPLATE, SCRIPT + IMG, SCRIPT, "<svg onload=1>"):
        value = prefix + tag + body
        if len(value) <= room:
            return value
    raise AssertionError(f"{label} is too short for any payload: exclude it with a reason")


# Rows the database keeps immutable (append-only security log, published snapshots): the
# attack is written past their triggers, as if the row had been written with it.
IMMUTABLE = (
    "accounts.SecurityEvent:security_event_append_only",
    "scoring.Publication:publication_snapshot_immutable",
)


def poison() -> dict[str, str]:
    """Overwrite every attacked field of every row; returns {tag: field label}."""
    with pgtrigger.ignore(*IMMUTABLE):
        return _poison()


def _poison() -> dict[str, str]:
    tags = {}
    for index, (label, (model, field)) in enumerate(sorted(inventory().items())):
        if label in EXCLUDED:
            continue
        unique = field.name in unique_fields(model)
        value = payload_for(label, field, index, unique=unique)
        tags[tag_of(index)] = label
        if unique:
            update = Concat(Value(value + "."), Cast("pk", output_field=CharField()))
        else:
            update = Value(value)
        model._base_manager.update(**{field.name: update})
    return tags


# The JSON fields users type into, with tags no CharField gets.
JSON_TAGS = {
    label: tag_of(len(DIGITS) ** 2 - 8 + n)
    for n, label in enumerate(
        (
            "scoring.Scheme.grades",
            "scoring.Publication.snapshot",
            "domains.DomainField.choices",
            "rectification.LedgerIssue.extra",
            "rectification.ImportJob.preview",
        )
    )
}


def poison_json(tags: dict[str, str]) -> None:
    """The JSON fields users type into: rich-text sections, scheme grade names, the extra
    ledger fields with their options, and the published ranking snapshots."""
    with pgtrigger.ignore(*IMMUTABLE):
        _poison_json(tags)


def _poison_json(tags: dict[str, str]) -> None:
    from domains.models import DomainField
    from rectification.models import Filing, FilingVersion, LedgerIssue
    from scoring.models import Publication, Scheme

    json_tags = JSON_TAGS
    tags.update({tag: label for label, tag in json_tags.items()})
    for scheme in Scheme.objects.all():
        grades = [
            {**g, "label": f"{json_tags['scoring.Scheme.grades']}{SCRIPT}{n}"}
            for n, g in enumerate(scheme.grades)
        ]
        Scheme.objects.filter(pk=scheme.pk).update(grades=grades)
    snap_tag = json_tags["scoring.Publication.snapshot"]
    for publication in Publication.objects.all():
        snapshot = publication.snapshot
        for group in snapshot.get("groups", []):
            for row in group.get("rows", []):
                row["agency"] = f"={snap_tag}{SCRIPT}{row['agency_id']}"
                row["grade"] = f"{snap_tag}{SCRIPT}"
        Publication.objects.filter(pk=publication.pk).update(snapshot=snapshot)
    choice_tag = json_tags["domains.DomainField.choices"]
    DomainField.objects.update(choices=[f"={choice_tag}{SCRIPT}1", f"@{choice_tag}{SCRIPT}2"])
    extra_tag = json_tags["rectification.LedgerIssue.extra"]
    for field in DomainField.objects.all():
        LedgerIssue.objects.filter(domain=field.domain).update(
            extra={field.key: f"-{extra_tag}{SCRIPT}{IMG}"}
        )
    rich = (
        f"<p><strong>{RICH_MARK}</strong></p>{SCRIPT}"
        '<img src=x onerror=alert(1)><a href="javascript:alert(1)" onclick="alert(1)">x</a>'
    )
    for model in (Filing, FilingVersion):
        for row in model.objects.all():
            model.objects.filter(pk=row.pk).update(sections=dict.fromkeys(row.sections, rich))


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(name: str = "<script>alert(1)</script>.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def add_missing_rows() -> None:
    """Rows the demo lacks, made through the services, so that every attacked field has rows
    to show: an extra ledger field, attachments, an API client, a webhook endpoint with a
    failed delivery, a workday override, a score objection, a ledger import with its preview."""
    import datetime

    from accounts import services as account_services
    from accounts.models import Agency, Tenant
    from domains import services as domain_services
    from domains.models import Commitment, TrustRecord
    from integrity import services as integrity_services
    from integrity.attachments import store_upload
    from rectification import importing
    from rectification import services as rectification_services
    from rectification.models import Campaign, LedgerIssue
    from scoring import services as scoring_services
    from scoring.models import Publication
    from supervision import services as supervision_services
    from supervision.models import Complaint, EvaluationReport, EvaluationScore
    from tests.rectification.ledger_helpers import (
        headers_for,
        row_for,
        upload_file,
        workbook_bytes,
    )
    from webhooks import services as webhook_services

    fengning = Tenant.objects.get(division_code="130826")
    office = User.objects.get(username="fn-office")
    clerk = User.objects.get(username="fn-clerk")
    admin = User.objects.get(username="admin")
    campaign = Campaign.objects.filter(tenant=fengning, status="launched").order_by("-id")[0]
    domain = campaign.domains.order_by("position", "id").first()
    domain_services.domain_field_save(
        domain=domain,
        data={
            "key": "method",
            "label": "采购方式",
            "field_type": "choice",
            "choices": ["公开招标", "竞争性谈判"],
            "help_text": "按合同填写",
        },
        actor=office,
    )
    domain_services.attachment_add(
        parent=TrustRecord.objects.filter(tenant=fengning).first(), uploaded=upload(), actor=office
    )
    domain_services.attachment_add(
        parent=Commitment.objects.filter(tenant=fengning).first(), uploaded=upload(), actor=office
    )
    supervision_services.complaint_attach(
        complaint=Complaint.objects.filter(tenant=fengning).first(), uploaded=upload(), actor=office
    )
    score = EvaluationScore.objects.filter(tenant=fengning).first()
    store_upload(EvaluationReport(tenant_id=score.tenant_id, score=score), upload(), actor=None)
    rectification_services.evidence_add(
        parent=LedgerIssue.objects.filter(campaign=campaign, agency=clerk.agency).first(),
        uploaded=upload(),
        actor=clerk,
    )
    account_services.api_client_create(
        tenant=fengning,
        data={"name": "信用承德", "description": "", "scopes": ["*"], "rate": "600/min"},
        actor=office,
    )
    endpoint, _secret = webhook_services.endpoint_create(
        tenant=fengning,
        data={
            "name": "市平台",
            "url": "http://127.0.0.1:9/hook",
            "event_types": ["record.published"],
            "allow_private": True,
        },
        actor=admin,
    )
    delivery = webhook_services.endpoint_send_test(endpoint=endpoint, actor=admin)
    webhook_services.delivery_attempt(delivery.pk)  # nothing listens: a failed attempt
    saturday = datetime.date(2026, 3, 7)
    integrity_services.workday_override_save(
        tenant=fengning, data={"date": saturday, "is_workday": True, "note": "调休"}, actor=office
    )
    publication = Publication.objects.filter(tenant=fengning, status="published").first()
    agency = Agency.objects.get(pk=publication.snapshot["groups"][0]["rows"][0]["agency_id"])
    scoring_services.objection_raise(
        publication=publication,
        agency=agency,
        indicator=None,
        reason="得分与台账不符。",
        actor=User.objects.filter(agency=agency).first(),
    )
    # The preview shows the uploaded cells: an Excel file carrying the attack.
    typed = (
        f"+{JSON_TAGS['rectification.ImportJob.preview']}{SCRIPT}{IMG}"  # "=": a formula, refused
    )
    rows = [row_for(campaign, subject_name=typed, cause=typed, handling_opinion=typed)]
    job = importing.job_start(
        campaign=campaign,
        agency=clerk.agency,
        uploaded=upload_file(workbook_bytes(headers_for(campaign), rows), name="台账.xlsx"),
        actor=clerk,
        language="zh-hans",
    )
    importing.job_check(job.pk)


# Crawling ---------------------------------------------------------------------------------

ROLES = ("admin", "fn-office", "fn-staff", "fn-clerk", "fn-leader", "evaluator", "cd-city")
SKIP_PREFIXES = ("/static/", "/media/", "/api/", "/public/", "/accounts/logout", "/i18n/")


def _names(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            child = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _names(entry.url_patterns, child)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}:{entry.name}" if namespace else entry.name


def no_argument_urls(accept) -> list[str]:
    """Every named URL that needs no argument and `accept` takes (lists, exports, forms)."""
    urls = []
    for name in sorted(set(_names(get_resolver().url_patterns))):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        if accept(url):
            urls.append(url)
    return urls


def admin_prefix() -> str:
    return reverse("admin:index")


def follow_internal(url: str) -> bool:
    return not url.startswith((*SKIP_PREFIXES, admin_prefix()))


def follow_public(url: str) -> bool:
    return url.startswith(("/public/", "/api/v1/public/"))


def follow_api(url: str) -> bool:
    return url.startswith("/api/v1/") and not url.startswith("/api/v1/public/")


def form_reached_urls(user) -> list[str]:
    """Pages reached by a GET form rather than a link: an agency's ledger import and its
    template are opened with the campaign chosen on the ledger page."""
    from rectification.models import Participation

    if not user.agency_id:
        return []
    urls = []
    for campaign_id in Participation.objects.filter(agency=user.agency).values_list(
        "campaign_id", flat=True
    ):
        for name in ("rectification:import-upload", "rectification:import-template"):
            urls.append(f"{reverse(name)}?campaign={campaign_id}")
    return urls


def crawl_role(username: str) -> Crawl:
    client = Client()
    user = User.objects.get(username=username)
    client.force_login(user)
    starts = ["/", *no_argument_urls(follow_internal), *form_reached_urls(user)]
    return crawl(client, starts, follow=follow_internal, per_route=2, limit=600)


def crawl_public() -> Crawl:
    starts = ["/public/", reverse("v1:public-county-list")]
    for code in ("130826", "130825"):
        for name in ("record", "notice", "commitment", "ranking"):
            starts.append(reverse(f"v1:public-{name}-list", args=[code]))
    return crawl(
        Client(),
        starts,
        follow=follow_public,
        per_route=3,
        limit=400,
        more_links=public_api_details,
    )


def crawl_api(username: str) -> Crawl:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return crawl(client, no_argument_urls(follow_api), follow=follow_api, per_route=2, limit=300)


@dataclass
class Sweep:
    tags: dict[str, str]
    crawls: dict[str, Crawl]

    def pages(self):
        for name, result in self.crawls.items():
            for page in result.pages:
                yield name, page


@pytest.fixture(scope="module")
def sweep(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seed, attack and crawl once; everything is rolled back at the end of the module."""
    with seeded_demo(django_db_blocker, tmp_path_factory.mktemp("media")):
        add_missing_rows()
        tags = poison()
        poison_json(tags)
        cache.clear()  # update() moves no cache version: nothing cached before may answer
        crawls = {role: crawl_role(role) for role in ROLES}
        cache.clear()  # the public API's throttle counts per address
        crawls["public"] = crawl_public()
        crawls["api"] = crawl_api("fn-office")
        yield Sweep(tags=tags, crawls=crawls)


# What a browser would run ---------------------------------------------------------------------

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


class ActiveContent(HTMLParser):
    """Collects what would run in a browser: event-handler attributes, javascript: URLs,
    script elements with code of ours. Payload text shown escaped is data and is not collected."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script: list[str] | None = None
        self._script_is_code = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") and "alert" in value:
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and re.sub(r"\s", "", value).lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            kind = dict(attrs).get("type") or "text/javascript"
            self._script = []
            self._script_is_code = "json" not in kind

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            code = "".join(self._script)
            if self._script_is_code and "alert(" in code:
                self.found.append(f"<script>{code[:80]}</script>")
            self._script = None


def active_content(html: str) -> list[str]:
    parser = ActiveContent()
    parser.feed(html)
    parser.close()
    return parser.found


# Tests ------------------------------------------------------------------------------------


def test_the_inventory_is_generic_and_its_exclusions_are_current():
    fields = inventory()
    assert len(fields) > 100
    stale = (set(EXCLUDED) | set(NOT_SHOWN) | URL_FIELDS | FORMULA_FIRST) - set(fields)
    assert not stale, f"listed but not a free-text field of our apps: {sorted(stale)}"
    assert not set(EXCLUDED) & (set(NOT_SHOWN) | URL_FIELDS | FORMULA_FIRST)
    # The rule-based skips are what they say: choice fields and the triggers' event models.
    assert "domains.TrustRecord.severity" not in fields
    assert not any(".TrustRecordEvent." in label for label in fields)


def test_the_detector_fires_on_active_content_and_not_on_escaped_text():
    """Negative control: the parser finds what a browser would run, and only that."""
    value = SCRIPT + IMG + TEXTAREA
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = escaped.replace('"', "&quot;")
    assert active_content(f'<td>{escaped}</td><input value="{escaped}">') == []
    assert active_content('<script type="application/json">"\\u003Cscript"</script>') == []
    assert len(active_content(f"<td>{value}</td>")) == 3
    assert active_content(f'<input value="{IMG}">') == ["<img onerror='alert(1)'>"]
    assert active_content('<a href=" JavaScript:alert(1)">x</a>')
    assert active_content("<textarea>" + TEXTAREA + "</textarea>")


def test_no_page_fails_on_the_payloads(sweep):
    errors = [(who, p.url, p.status, p.found_on) for who, p in sweep.pages() if p.status >= 500]
    assert not errors


def test_every_crawl_reached_its_pages(sweep):
    html = {who: sum(1 for _p in c.html()) for who, c in sweep.crawls.items()}
    assert html["fn-office"] >= 120, html
    assert html["fn-clerk"] >= 40, html
    assert html["public"] >= 25, html
    assert sum(1 for _p in sweep.crawls["api"].json()) >= 60
    assert sum(1 for _p in sweep.crawls["public"].json()) >= 8


def test_no_html_page_carries_an_active_payload(sweep):
    found = []
    for who, page in sweep.pages():
        if page.status == 200 and page.is_html:
            text = page.text
            for hit in active_content(text):
                found.append((who, page.url, hit))
            for raw in (SCRIPT, "<img src=x onerror", "<svg onload"):
                if raw in text:
                    found.append((who, page.url, raw))
    assert not found, "\n".join(map(str, found[:40]))


def shown_tags(sweep) -> dict[str, set[str]]:
    """tag → where it was seen escaped (HTML) or as JSON data."""
    seen: dict[str, set[str]] = {}
    for who, page in sweep.pages():
        if page.status != 200:
            continue
        if page.is_html:
            text = page.text
            tags = set(ESCAPED_TAG.findall(text)) | set(URL_TAG.findall(text))
        elif page.is_json:
            text = json.dumps(json.loads(page.body), ensure_ascii=False)
            tags = set(RAW_TAG.findall(text)) | set(URL_TAG.findall(text))
        else:
            continue
        for tag in tags:
            seen.setdefault("F" + tag, set()).add(f"{who} {page.url}")
    return seen


def test_every_attacked_field_is_shown_escaped_somewhere(sweep):
    """The sweep looked at pages that show the payloads: every attacked field appears, escaped,
    on at least one page (or is listed in NOT_SHOWN with the reason)."""
    seen = shown_tags(sweep)
    missing = sorted(
        label for tag, label in sweep.tags.items() if tag not in seen and label not in NOT_SHOWN
    )
    assert not missing, f"attacked but shown nowhere the crawl went: {missing}"
    # The template payload is shown as typed: nothing evaluates it.
    assert any(TEMPLATE in p.text for _w, p in sweep.pages() if p.is_html and p.status == 200)


@pytest.mark.parametrize(
    ("who", "pattern"),
    [
        ("fn-office", r"^/$"),
        ("fn-clerk", r"^/$"),
        ("fn-office", r"^/notifications/$"),
        ("fn-office", r"^/audit/"),
        ("fn-office", r"^/audit/security/"),
        ("fn-office", r"^/records/\d+/$"),
        ("fn-office", r"^/complaints/\d+/$"),
        ("fn-office", r"^/ledger/\d+/$"),
        ("fn-office", r"print"),
        ("fn-clerk", r"^/ledger/\d+/edit/$"),
        ("public", r"^/public/\d+/records/[0-9a-f-]+/$"),
        ("public", r"^/public/\d+/rankings/\d+/$"),
        ("public", r"^/public/\d+/agencies/\d+/$"),
    ],
)
def test_key_pages_show_the_payload_escaped(sweep, who, pattern):
    """Home dashboards, notifications, audit, details, print pages, edit forms, public pages:
    each was fetched and shows an attacked field, escaped."""
    pages = [p for p in sweep.crawls[who].html() if re.search(pattern, p.url)]
    assert pages, f"{who} never reached {pattern}"
    assert any(ESCAPED_TAG.search(p.text) for p in pages), [p.url for p in pages]


def test_json_answers_are_json_and_not_sniffed(sweep):
    """The API serves the payloads as data: JSON with nosniff, never HTML."""
    checked = 0
    for who in ("api", "public"):
        for page in sweep.crawls[who].pages:
            if page.status != 200 or not page.url.startswith("/api/"):
                continue
            assert page.is_json, (page.url, page.content_type)
            assert page.headers.get("X-Content-Type-Options") == "nosniff", page.url
            checked += 1
    assert checked >= 70
    api_tags = {
        tag for tag, where in shown_tags(sweep).items() if any(w.startswith("api ") for w in where)
    }
    assert len(api_tags) >= 60


def test_excel_files_hold_the_payloads_as_text_never_formulas(sweep):
    """Every Excel export and template: no formula cell anywhere, every attacked value a string
    cell, and values starting with each of = + - @ were seen."""
    formulas, tagged, starts = [], 0, set()
    files = 0
    for who, page in sweep.pages():
        if page.status != 200 or not page.is_xlsx:
            continue
        files += 1
        workbook = load_workbook(io.BytesIO(page.body))
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        formulas.append((who, page.url, sheet.title, cell.coordinate, cell.value))
                    elif isinstance(cell.value, str) and RAW_TAG.search(cell.value):
                        assert cell.data_type == "s", (page.url, cell.coordinate)
                        tagged += 1
                        starts.add(cell.value.lstrip("'")[:1])
    assert not formulas, "\n".join(map(str, formulas[:20]))
    assert files >= 15
    assert tagged >= 100
    assert set(PREFIXES) <= starts


def test_rich_text_sections_keep_formatting_and_lose_script(sweep):
    """Filing sections (rich text, nh3): the allowed markup stays markup, script and event
    handlers and javascript: links are gone, on the filing pages and in the editor."""
    pages = [
        p
        for who in ("fn-office", "fn-clerk")
        for p in sweep.crawls[who].html()
        if re.search(r"^/filings/\d+/", p.url) and f"<strong>{RICH_MARK}</strong>" in p.text
    ]
    assert pages, "no filing page shows the sections"
    editors = [p for p in sweep.crawls["fn-clerk"].html() if "data-richtext" in p.text]
    assert editors, "the clerk never reached a section editor"
    for page in editors:
        for area in re.findall(
            r"<textarea[^>]*data-richtext[^>]*>(.*?)</textarea>", page.text, re.S
        ):
            html = unescape(area)  # what the editor puts into innerHTML
            assert "<script" not in html and "onerror" not in html and "javascript:" not in html
            assert "onclick" not in html


def test_clean_html_keeps_the_allowlist_only():
    dirty = (
        '<h4 style="color:red">t</h4><p onclick="alert(1)">a<script>alert(1)</script></p>'
        '<img src=x onerror=alert(1)><a href="javascript:alert(1)">l</a><iframe src=x></iframe>'
        "<ul><li>i</li></ul><svg onload=alert(1)></svg>"
    )
    assert clean_html(dirty) == "<h4>t</h4><p>a</p>l<ul><li>i</li></ul>"


def test_form_help_text_is_escaped():
    """includes/form.html printed help texts unescaped (`|safe`); an extra ledger field's help
    text is typed by the office, so no help text may carry markup."""
    from django import forms
    from django.template.loader import render_to_string

    class Form(forms.Form):
        method = forms.CharField(help_text=SCRIPT + IMG)

    html = render_to_string("includes/form.html", {"form": Form()})
    assert active_content(html) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
