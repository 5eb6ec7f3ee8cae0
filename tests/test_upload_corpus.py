"""Issue 9: every upload of the platform against the bad-input corpus of tests/upload_corpus.py.

Each refused file gets a clear message in Chinese on the page, and the database is byte-for-byte
unchanged (row count and md5 of every table, pghistory's events included) and no file is kept.
The one exception is the ledger import, whose rows are checked by a job: a file that is no
workbook, is damaged, unpacks to too much, links to other files, has formulas in its first row
or other headers is refused at once like everywhere else; a file whose rows are wrong becomes an
import job that the check task marks invalid with the errors; the job row (with its audit events)
is then the only change (LEDGER_BY_JOB).

Names with directory parts cannot be refused: Django keeps only a name's last part before any
code of ours sees it. The test proves what happens instead: the file is kept under a random name
inside the media root, with the last part of its name (`TRAVERSAL_NAMES`).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from accounts.choices import AgencyKind
from accounts.excel import MAX_AGENCY_ROWS, agency_columns
from domains.models import CommitmentAttachment, RecordAttachment
from rectification import excel as ledger_excel
from rectification.models import Evidence, ImportJob
from supervision.choices import Channel, ComplaintStatus
from supervision.excel import MAX_COMPLAINT_ROWS, complaint_columns
from supervision.forms.public import MAX_FILES
from supervision.models import ComplaintAttachment, EvaluationReport
from tests.conftest import login
from tests.factories import (
    CommitmentFactory,
    TrustRecordFactory,
    credit_code,
    ensure_defaults,
    make_campaign,
    make_issue,
)
from tests.isolation_specs.rectification_filings import make_filing, make_milestone
from tests.rectification.ledger_helpers import headers_for, row_for
from tests.supervision.complaint_helpers import (
    clear_all_throttles,
    make_complaint,
    public_create_url,
)
from tests.supervision.item_helpers import assignment, link_of
from tests.upload_corpus import (
    ATTACHMENT_CORPUS,
    BOMB_MAX_FILE,
    FORMULAS,
    PDF,
    TRAVERSAL_NAMES,
    db_fingerprint,
    fingerprint_diff,
    media_files,
    post_files,
    spreadsheet_corpus,
)

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def county(world):
    ensure_defaults(world.county_a)
    clear_all_throttles()
    yield world
    clear_all_throttles()


def zh(msgid: str, **params) -> str:
    with translation.override("zh-hans"):
        text = gettext(msgid)
    return text % params if params else text


def today() -> datetime.date:
    from django.utils import timezone

    return timezone.localdate()


# The spreadsheet imports ----------------------------------------------------------------------


@dataclass
class Importer:
    """One Excel import: who posts it where, its template and rows of each kind."""

    user: str
    field: str = "file"

    def url(self, w) -> str:
        raise NotImplementedError

    def headers(self, w) -> list[str]:
        raise NotImplementedError

    def duplicate_errors(self, w) -> set[tuple[str, str]]:
        """(column, message) of the errors a duplicated row gets."""
        raise NotImplementedError


class AgencyImport(Importer):
    max_rows = MAX_AGENCY_ROWS
    text_column = 4  # leader

    def url(self, w):
        return reverse("accounts:agency-import")

    def headers(self, w):
        return [label for _f, label in agency_columns()]

    def row(self, w):
        kind = str(dict(AgencyKind.choices)[AgencyKind.DEPARTMENT])
        return [
            "县审计局",
            kind,
            credit_code(77),
            "",
            "张建军",
            "李红",
            "0314-8012345",
            zh("Active"),
        ]

    def wrong_row(self, w):
        return [
            "名" * 101,
            12345,
            "ABC123",
            datetime.date(2026, 1, 1),
            "x" * 51,
            "y" * 51,
            "1" * 31,
            "也许",
        ]

    def duplicate_rows(self, w):
        return [self.row(w), self.row(w)]

    def duplicate_errors(self, w):
        headers = self.headers(w)
        return {
            (headers[0], zh("Same name as row %(row)d.", row=2)),
            (headers[2], zh("Same code as row %(row)d.", row=2)),
        }

    def every_wrong_column(self, w):
        return set(self.headers(w))


class HotlineImport(Importer):
    max_rows = MAX_COMPLAINT_ROWS
    text_column = 5  # subject

    def url(self, w):
        return reverse("supervision:complaint-import")

    def headers(self, w):
        return [label for _f, label in complaint_columns()]

    def row(self, w):
        channel = str(dict(Channel.choices)[Channel.HOTLINE_12345])
        return [
            channel,
            "12345-0001",
            (today() - datetime.timedelta(days=2)).isoformat(),
            w.a1.name,
            "",
            "拖欠工程款",
            "县财政局承诺的工程款至今未付，多次催要无果。",
            "380000",
            "",
            "张秀兰",
            "13833334444",
        ]

    def wrong_row(self, w):
        return [
            "传真",
            "T" * 61,
            "昨天",
            "不存在的单位",
            "不存在的领域",
            "题" * 201,
            "容" * 5001,
            "三万元",
            "2026-13-45",
            "张" * 61,
            "abc",
        ]

    def duplicate_rows(self, w):
        return [self.row(w), self.row(w)]

    def duplicate_errors(self, w):
        return {(self.headers(w)[1], zh("Same ticket as row %(row)d.", row=2))}

    def every_wrong_column(self, w):
        return set(self.headers(w))


class LedgerImport(Importer):
    max_rows = ledger_excel.LEDGER_IMPORT_MAX_ROWS
    text_column = 3  # failing subject

    def url(self, w):
        return f"{reverse('rectification:import-upload')}?campaign={w.campaign.pk}"

    def headers(self, w):
        return headers_for(w.campaign)

    def row(self, w):
        return row_for(w.campaign, subject_name="县财政局", description="拖欠工程款")

    def wrong_row(self, w):
        return row_for(
            w.campaign,
            number="第一号",
            domain="不存在的领域",
            problem_type="不存在的类型",
            subject_name="名" * 201,
            subject_credit_code="ABC",
            responsible_person="人" * 61,
            source="传闻",
            discovered_on="上周",
            deadline="下个月",
            status="差不多",
            creditor_name="企" * 201,
            creditor_credit_code="XYZ",
            creditor_is_sme="也许",
            contract="合" * 201,
            accepted_on="验收后",
            payment_term_days="三十天",
            amount_owed="很多",
            amount_repaid="-5",
            last_repaid_on="昨天",
        )

    def duplicate_rows(self, w):
        row = row_for(w.campaign, number=w.issue.number, subject_name="县财政局（更正）")
        return [row, row]

    def duplicate_errors(self, w):
        return {(self.headers(w)[0], zh("Same ledger number as row %(row)d.", row=2))}

    def every_wrong_column(self, w):
        # Free text (problem, cause, handling opinion) has no wrong value; computed columns are
        # ignored on import.
        schema = ledger_excel.LedgerSchema.for_campaign(w.campaign)
        free = {"description", "cause", "handling_opinion"}
        return {c.header for c in schema.columns if not c.computed and c.key not in free}


IMPORTERS = {
    "agencies": AgencyImport(user="office_admin_a"),
    "hotline": HotlineImport(user="office_admin_a"),
    "ledger": LedgerImport(user="clerk_a1"),
}


@pytest.fixture
def imports(county):
    w = county
    w.campaign = make_campaign(w.county_a, [w.a1])
    w.issue = make_issue(w.campaign, w.a1)
    return w


@pytest.fixture(scope="module")
def _corpus_cache():
    return {}


def corpus_for(cache, importer: Importer, w) -> dict[str, bytes]:
    """The corpus of one import (the 500 MB bombs take seconds: built once per module)."""
    key = type(importer).__name__
    if key not in cache:
        cache[key] = spreadsheet_corpus(
            importer.headers(w),
            importer.row(w),
            wrong_row=importer.wrong_row(w),
            duplicate_rows=importer.duplicate_rows(w),
            max_rows=importer.max_rows,
            text_column=importer.text_column,
        )
    return cache[key]


NOT_XLSX = "This is not an Excel .xlsx file. Save it as .xlsx and try again."
DAMAGED = "The file is damaged or incomplete and cannot be opened."
HEADERS = "The header row does not match the template (%(detail)s). Download the template again."
FORMULA = "Row %(row)d, column %(col)s holds a formula. Paste values only."


def file_message(case: str, headers: list[str], importer: Importer) -> str | None:
    """The message a whole-file refusal shows (None: refused row by row)."""
    simple = {
        "not_zip": NOT_XLSX,
        "legacy_xls": NOT_XLSX,
        "truncated": DAMAGED,
        "zip_bomb_lying_size": DAMAGED,
        "malformed_sheet": DAMAGED,
        "xml_entity_bomb": DAMAGED,
        "encrypted_members": DAMAGED,
        "zip_bomb": "The workbook expands to an unreasonable size and was refused.",
        "external_link": "The workbook links to other files. Remove the external links.",
        "no_header": "The sheet is empty: the first row must hold the headers.",
    }
    if case in simple:
        return zh(simple[case])
    if case == "over_size_limit":
        with translation.override("zh-hans"):
            size = filesizeformat(settings.EXCEL_UPLOAD_MAX_BYTES)
        return zh("The file is larger than %(size)s.", size=size)
    if case == "over_row_limit":
        return zh(
            "The file has more than %(max)d data rows. Split it into smaller files.",
            max=importer.max_rows,
        )
    if case in FORMULAS:
        return zh(FORMULA, row=3, col=headers[importer.text_column])
    half = len(headers) // 2
    details = {
        "wrong_header": "；".join(
            [zh("missing: %(cols)s", cols=headers[-1]), zh("unexpected: %(cols)s", cols="备注")]
        ),
        "missing_headers": zh("missing: %(cols)s", cols="、".join(headers[half:])),
        "headers_out_of_order": zh("columns are in the wrong order"),
    }
    if case in details:
        return zh(HEADERS, detail=details[case])
    return None


SPREADSHEET_CASES = [
    "not_zip",
    "legacy_xls",
    "truncated",
    "zip_bomb",
    "zip_bomb_lying_size",
    "malformed_sheet",
    "xml_entity_bomb",
    "encrypted_members",
    "external_link",
    *FORMULAS,
    "wrong_header",
    "missing_headers",
    "headers_out_of_order",
    "no_header",
    "wrong_types",
    "duplicate_rows",
    "over_row_limit",
    "over_size_limit",
]
# The ledger's rows are read whole only by the job (up to 100,000 rows: too slow for the upload
# request), so what shows beyond the first data row makes the upload an invalid job: wrong rows,
# formulas further down, a sheet that breaks off or explodes while it is read. Everything else
# is refused by the upload form at once (no job).
LEDGER_BY_JOB = {
    "wrong_types",
    "duplicate_rows",
    "over_row_limit",
    "zip_bomb_lying_size",
    "malformed_sheet",
    "xml_entity_bomb",
    "formula_arithmetic",
    "formula_hyperlink",
    "formula_dde",
}
JOB_TABLES = {"rectification_importjob", "rectification_importjobevent", "pghistory_context"}


def row_errors_on_page(importer, w, response) -> set[tuple[str, str]]:
    """(column, message) of every row error the answer shows."""
    if isinstance(importer, LedgerImport):
        job = ImportJob.objects.get()
        return {(e["column"], e["message"]) for e in job.errors}
    return {(e.column, e.message) for e in response.context["row_errors"]}


@pytest.mark.parametrize("case", SPREADSHEET_CASES)
@pytest.mark.parametrize("name", sorted(IMPORTERS))
def test_bad_spreadsheet_is_refused_with_a_message_and_writes_nothing(
    client, imports, django_capture_on_commit_callbacks, _corpus_cache, name, case
):
    w = imports
    importer = IMPORTERS[name]
    content = corpus_for(_corpus_cache, importer, w)[case]
    if case.startswith("zip_bomb"):
        assert len(content) < (3 if case.endswith("lying_size") else 1) * BOMB_MAX_FILE
    headers = importer.headers(w)
    login(client, getattr(w, importer.user))
    before, files_before = db_fingerprint(), media_files()

    with django_capture_on_commit_callbacks(execute=True):
        response = post_files(client, importer.url(w), {}, [(importer.field, "导入.xlsx", content)])

    diff = fingerprint_diff(before, db_fingerprint())
    if isinstance(importer, LedgerImport) and case in LEDGER_BY_JOB:
        # The upload became a job, checked and marked invalid (with the audit trail of that);
        # nothing else changed.
        assert response.status_code == 302, response.content.decode()[:500]
        job = ImportJob.objects.get()
        assert job.status == "invalid"
        assert set(diff) <= JOB_TABLES, diff
        assert set(media_files()) - files_before == {job.file.name}
        response = client.get(response["Location"])
        shown = job.message
    else:
        assert response.status_code == 400
        assert diff == {}
        assert media_files() == files_before
        shown = None
    text = response.content.decode()

    expected = file_message(case, headers, importer)
    if expected is not None:
        assert CJK.search(expected), expected
        assert escape(expected) in text, (expected, text[:3000])
        if shown is not None:
            assert shown == expected
        return
    errors = row_errors_on_page(importer, w, response)
    assert CJK.search(text)
    if case == "wrong_types":
        assert {column for column, _m in errors} == importer.every_wrong_column(w)
    else:
        assert case == "duplicate_rows"
        assert errors == importer.duplicate_errors(w)
    for column, message in errors:
        assert escape(column) in text and escape(message) in text


# Attachments ----------------------------------------------------------------------------------


@dataclass
class AttachmentUpload:
    """One form that takes files: who posts it, its other fields, where the file lands."""

    user: str | None
    field: str
    model: type

    def setup(self, w) -> tuple[str, dict]:
        """(url, other form fields) for a fresh object of `w`."""
        raise NotImplementedError


class RecordAttachmentUpload(AttachmentUpload):
    def setup(self, w):
        record = TrustRecordFactory(agency=w.a1)
        return f"/records/{record.pk}/attachments/", {}


class CommitmentEvidenceUpload(AttachmentUpload):
    def setup(self, w):
        commitment = CommitmentFactory(agency=w.a1)
        return (
            f"/commitments/{commitment.pk}/evidence/",
            {"evidence-fulfilment_evidence": "2026年11月已全部办结，附统计表。"},
        )


class ComplaintReplyUpload(AttachmentUpload):
    def setup(self, w):
        complaint = make_complaint(w.a1, ComplaintStatus.ASSIGNED)
        url = reverse("supervision:complaint-reply", args=[complaint.pk])
        return url, {"reply": "已核实，款项已于本月支付，附付款凭证。"}


class PublicComplaintUpload(AttachmentUpload):
    def setup(self, w):
        return public_create_url(w.county_a), {
            "agency": w.a1.pk,
            "domain": "",
            "title": "工程款拖欠",
            "content": "县财政局2024年承诺支付的工程款至今未付，多次催要无果。",
            "amount": "380000",
            "occurred_on": "2024-12-31",
            "complainant_name": "张秀兰",
            "complainant_phone": "13833334444",
        }


class IssueEvidenceUpload(AttachmentUpload):
    def setup(self, w):
        issue = make_issue(make_campaign(w.county_a, [w.a1]), w.a1)
        return reverse("rectification:issue-attach", args=[issue.pk]), {}


class IssueRectifiedUpload(AttachmentUpload):
    def setup(self, w):
        issue = make_issue(make_campaign(w.county_a, [w.a1]), w.a1)
        return reverse("rectification:issue-rectified", args=[issue.pk]), {
            "rectified-note": "已支付全部款项",
            "rectified-rectified_on": today().isoformat(),
        }


class FilingAttachmentUpload(AttachmentUpload):
    def setup(self, w):
        filing = make_filing(w.a1)
        return reverse("rectification:filing-attach", args=[filing.pk]), {}


class MilestoneReportUpload(AttachmentUpload):
    def setup(self, w):
        milestone = make_milestone(w.a1)
        url = reverse("rectification:milestone-report", args=[milestone.pk])
        return url, {"note": "已拨付首批资金", "progress": 40}


class EvaluationReportUpload(AttachmentUpload):
    def setup(self, w):
        made = assignment([w.a1], evaluator=w.evaluator_a)
        url = reverse("supervision:score-submit", args=[link_of(made, w.a1).pk])
        return url, {"score": "88.50", "comments": "制度健全，台账完整。"}


ATTACHMENT_UPLOADS = {
    "record_attachment": RecordAttachmentUpload(
        "office_staff_a", "attachment-file", RecordAttachment
    ),
    "commitment_evidence": CommitmentEvidenceUpload(
        "clerk_a1", "evidence-file", CommitmentAttachment
    ),
    "complaint_reply": ComplaintReplyUpload("clerk_a1", "attachments", ComplaintAttachment),
    "public_complaint": PublicComplaintUpload(None, "attachments", ComplaintAttachment),
    "issue_evidence": IssueEvidenceUpload("clerk_a1", "attach-files", Evidence),
    "issue_rectified": IssueRectifiedUpload("clerk_a1", "rectified-files", Evidence),
    "filing_attachment": FilingAttachmentUpload("clerk_a1", "files", Evidence),
    "milestone_report": MilestoneReportUpload("clerk_a1", "files", Evidence),
    "evaluation_report": EvaluationReportUpload("evaluator_a", "report", EvaluationReport),
}

MISMATCH = "The file's content does not match its type (%(ext)s)."
NOT_ACCEPTED = "Only PDF, JPG, PNG, Word (.docx), Excel (.xlsx) and OFD files are accepted."


def attachment_message(case: str) -> str:
    by_ext = {
        "exe_as_pdf": ".pdf",
        "elf_as_pdf": ".pdf",
        "traversal_exe": ".pdf",
        "html_as_png": ".png",
        "text_as_docx": ".docx",
        "legacy_doc_as_docx": ".docx",
        "pdf_as_docx": ".docx",
        "macro_docx": ".docx",
    }
    if case in by_ext:
        return zh(MISMATCH, ext=by_ext[case])
    if case in ("exe_extension", "double_extension"):
        return zh(NOT_ACCEPTED)
    if case in ("truncated_docx", "encrypted_docx"):
        return zh("The file is damaged and cannot be opened.")
    if case == "over_size_limit":
        return zh("The file is larger than %(mb)d MB.", mb=20)
    assert case == "empty"
    with translation.override("zh-hans"):
        return str(forms.FileField.default_error_messages["empty"])


def _post_attachment(client, w, upload: AttachmentUpload, name: str, content: bytes):
    url, fields = upload.setup(w)
    if upload.user:
        login(client, getattr(w, upload.user))
    before, files_before = db_fingerprint(), media_files()
    response = post_files(client, url, fields, [(upload.field, name, content)])
    return response, before, files_before


@pytest.mark.parametrize("case", sorted(ATTACHMENT_CORPUS))
@pytest.mark.parametrize("name", sorted(ATTACHMENT_UPLOADS))
def test_bad_attachment_is_refused_with_a_message_and_writes_nothing(client, imports, name, case):
    w = imports
    upload = ATTACHMENT_UPLOADS[name]
    file_name, content = ATTACHMENT_CORPUS[case]
    response, before, files_before = _post_attachment(client, w, upload, file_name, content)
    assert response.status_code in (200, 400), response.status_code
    assert fingerprint_diff(before, db_fingerprint()) == {}
    assert media_files() == files_before
    expected = attachment_message(case)
    assert CJK.search(expected), expected
    assert escape(expected) in response.content.decode()


@pytest.mark.parametrize("case", sorted(TRAVERSAL_NAMES))
@pytest.mark.parametrize("name", sorted(ATTACHMENT_UPLOADS))
def test_directory_parts_of_a_name_are_dropped_and_the_file_stays_in_the_media_root(
    client, imports, name, case
):
    w = imports
    upload = ATTACHMENT_UPLOADS[name]
    sent, kept = TRAVERSAL_NAMES[case]
    response, _before, files_before = _post_attachment(client, w, upload, sent, PDF)
    assert response.status_code in (200, 302), response.content.decode()[:2000]
    attachment = upload.model.objects.order_by("-pk").first()
    assert attachment is not None and attachment.original_name == kept
    assert attachment.content_type == "application/pdf"
    root = Path(settings.MEDIA_ROOT).resolve()
    stored = (root / attachment.file.name).resolve()
    assert stored.is_relative_to(root / "attachments")
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", stored.name)
    assert stored.read_bytes() == PDF
    assert media_files() - files_before == {str(stored.relative_to(root))}


MULTI_FILE_UPLOADS = sorted(
    name
    for name, upload in ATTACHMENT_UPLOADS.items()
    if upload.field.endswith(("files", "attachments"))
)


@pytest.mark.parametrize("name", MULTI_FILE_UPLOADS)
def test_one_bad_file_among_good_ones_refuses_them_all(client, imports, name):
    w = imports
    upload = ATTACHMENT_UPLOADS[name]
    url, fields = upload.setup(w)
    if upload.user:
        login(client, getattr(w, upload.user))
    file_name, content = ATTACHMENT_CORPUS["exe_as_pdf"]
    before, files_before = db_fingerprint(), media_files()
    response = post_files(
        client, url, fields, [(upload.field, "证据.pdf", PDF), (upload.field, file_name, content)]
    )
    assert response.status_code in (200, 400), response.status_code
    assert fingerprint_diff(before, db_fingerprint()) == {}
    assert media_files() == files_before
    assert escape(f"{file_name}: {attachment_message('exe_as_pdf')}") in response.content.decode()


@pytest.mark.parametrize("name", MULTI_FILE_UPLOADS)
def test_more_files_than_allowed_are_refused(client, imports, name):
    w = imports
    upload = ATTACHMENT_UPLOADS[name]
    url, fields = upload.setup(w)
    if upload.user:
        login(client, getattr(w, upload.user))
    before, files_before = db_fingerprint(), media_files()
    files = [(upload.field, f"证据{i}.pdf", PDF) for i in range(MAX_FILES + 1)]
    response = post_files(client, url, fields, files)
    assert response.status_code in (200, 400), response.status_code
    assert fingerprint_diff(before, db_fingerprint()) == {}
    assert media_files() == files_before
    assert escape(zh("At most %(n)d files.", n=MAX_FILES)) in response.content.decode()
