"""The issue ledger in Excel (M2): the template generated for a campaign, the validation of every
row of an upload, and the rows of an export.

One column list serves all three, so an export of one agency's ledger in one campaign is a
filled-in template: importing it back changes nothing, and editing a cell and importing it
changes that issue only. The three computed columns at the end (outstanding, days overdue,
interest due) are written by exports and ignored by the importer.

Rows are checked in two steps so that a file of 100,000 rows costs no query per row:
`RowParser.parse` checks a row on its own against the campaign's configuration loaded once
(domains, their extra fields, problem types), and `RowParser.resolve` checks a batch of parsed
rows against the agency's existing issues fetched with one query per batch. The rules are the
model's and the services' (`LedgerIssue.clean`, `services.issue_create/issue_update`,
`services.extra_values_clean`), applied without `full_clean()` so that no row queries the
database.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ValidationError
from django.db.models import Case, OuterRef, QuerySet, When
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from accounts.validators import normalize_credit_code, validate_credit_code
from domains.choices import FieldType
from domains.models import DomainField, KeyDomain, ProblemType
from integrity.xlsx import RowError, cell_text, write_header, write_text

from . import services
from .choices import AGENCY_ISSUE_STATUSES, IssueSource, IssueStatus
from .models import MAX_YUAN, Campaign, CampaignDomain, LedgerIssue, Repayment
from .rules import DEFAULT_PAYMENT_TERM_DAYS, MAX_PAYMENT_TERM_DAYS, arrears_position

LEDGER_IMPORT_MAX_ROWS = 100_000
TEXT_LIMITS = {
    "subject_name": 200,
    "responsible_person": 60,
    "creditor_name": 200,
    "contract": 200,
}
TEXT_FIELDS = ("description", "cause", "handling_opinion")
# The fields an import sets (the daily interest rate keeps its default or its current value).
IMPORT_FIELDS = (
    "domain_id",
    "problem_type_id",
    "subject_name",
    "subject_credit_code",
    "description",
    "responsible_person",
    "cause",
    "handling_opinion",
    "source",
    "discovered_on",
    "deadline",
    "status",
    "extra",
    "creditor_name",
    "creditor_credit_code",
    "creditor_is_sme",
    "contract",
    "accepted_on",
    "payment_term_days",
    "amount_owed",
)
DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


@dataclass(frozen=True)
class Column:
    """A column of the ledger sheet. `key` is a LedgerIssue field, `number`, `amount_repaid`,
    `last_repaid_on`, a computed key, or `extra` with `domain_field` set."""

    key: str
    header: str
    domain_field: DomainField | None = None
    computed: bool = False
    prefix: bool = False  # campaign / agency / jurisdiction of a multi-ledger export


def _fixed_columns() -> list[Column]:
    return [
        Column("number", _("Ledger number")),
        Column("domain", _("Key domain")),
        Column("problem_type", _("Problem type")),
        Column("subject_name", _("Failing subject")),
        Column("subject_credit_code", _("Failing subject's credit code")),
        Column("description", _("Problem")),
        Column("responsible_person", _("Responsible person")),
        Column("cause", _("Cause")),
        Column("handling_opinion", _("Handling opinion")),
        Column("source", _("Source")),
        Column("discovered_on", _("Discovered on")),
        Column("deadline", _("Rectification due by")),
        Column("status", _("Status")),
        Column("creditor_name", _("Creditor enterprise")),
        Column("creditor_credit_code", _("Creditor's credit code")),
        Column("creditor_is_sme", _("Private or small/medium enterprise")),
        Column("contract", _("Contract")),
        Column("accepted_on", _("Delivery or acceptance date")),
        Column("payment_term_days", _("Agreed payment term (days)")),
        Column("amount_owed", _("Amount owed (yuan)")),
        Column("amount_repaid", _("Amount repaid so far (yuan)")),
        Column("last_repaid_on", _("Last repayment date")),
    ]


def _computed_columns() -> list[Column]:
    return [
        Column("outstanding", _("Outstanding (yuan, computed)"), computed=True),
        Column("days_overdue", _("Days overdue (computed)"), computed=True),
        Column("interest_due", _("Interest due (yuan, computed)"), computed=True),
    ]


def yes_no() -> tuple[str, str]:
    return _("Yes"), _("No")


class LedgerSchema:
    """The columns of a ledger sheet for some key domains (a campaign's), with the
    configuration the parser needs, loaded once."""

    def __init__(self, tenant_id: int, domains: list[KeyDomain], *, prefix: Iterable[Column] = ()):
        self.tenant_id = tenant_id
        self.domains = domains
        fields = DomainField.objects.filter(domain__in=domains).order_by(
            "domain__position", "domain_id", "position", "id"
        )
        self.fields_by_domain: dict[int, list[DomainField]] = {d.pk: [] for d in domains}
        for domain_field in fields:
            self.fields_by_domain[domain_field.domain_id].append(domain_field)
        names = {d.pk: d.name for d in domains}
        extra, seen = [], set()
        for domain in domains:
            for domain_field in self.fields_by_domain[domain.pk]:
                header = f"{names[domain.pk]}·{domain_field.label}"
                if header in seen:  # two fields with one label: the key tells them apart
                    header = f"{header}({domain_field.key})"
                seen.add(header)
                extra.append(Column("extra", header, domain_field=domain_field))
        self.columns = [*prefix, *_fixed_columns(), *extra, *_computed_columns()]
        self.headers = [column.header for column in self.columns]

    @classmethod
    def for_campaign(cls, campaign: Campaign, **kwargs) -> LedgerSchema:
        return cls(campaign.tenant_id, campaign_domains(campaign), **kwargs)

    @property
    def importable(self) -> bool:
        return not any(column.prefix for column in self.columns)

    def problem_types(self) -> list[ProblemType]:
        return list(
            ProblemType.objects.filter(tenant_id=self.tenant_id, is_active=True).order_by(
                "position", "id"
            )
        )


def campaign_domains(campaign: Campaign) -> list[KeyDomain]:
    return list(
        KeyDomain.objects.filter(
            pk__in=CampaignDomain.objects.filter(campaign=campaign).values("domain_id")
        ).order_by("position", "id")
    )


def source_labels() -> dict[str, str]:
    return {str(label): value for value, label in IssueSource.choices}


def status_labels(statuses=None) -> dict[str, str]:
    labels = dict(IssueStatus.choices)
    return {str(labels[value]): value for value in (statuses or IssueStatus.values)}


# The template ---------------------------------------------------------------------------------

HEADER_FONT = Font(bold=True)
COMPUTED_FILL = PatternFill("solid", fgColor="DDDDDD")


def ledger_template(campaign: Campaign) -> bytes:
    """An empty ledger for the campaign: the header row, a dropdown for every choice (the lists
    on a hidden sheet), text format for the text columns (an all-digit credit code stays
    text), the computed columns greyed, and an instructions sheet."""
    schema = LedgerSchema.for_campaign(campaign)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Issue ledger")
    write_header(sheet, schema.headers)  # extra fields are named after the tenant's domains
    sheet.freeze_panes = "A2"
    last_row = LEDGER_IMPORT_MAX_ROWS + 1
    date_keys = {"discovered_on", "deadline", "accepted_on", "last_repaid_on"}
    number_keys = {"number", "payment_term_days", "amount_owed", "amount_repaid"}
    for index, column in enumerate(schema.columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index)
        cell.font = HEADER_FONT
        dimension = sheet.column_dimensions[letter]
        dimension.width = max(12, min(40, len(column.header) * 2 + 4))
        kind = column.domain_field.field_type if column.domain_field else None
        if column.computed:
            cell.fill = COMPUTED_FILL
            cell.comment = Comment(_("Computed by the platform; ignored on import."), "")
        elif column.key in date_keys or kind == FieldType.DATE:
            dimension.number_format = "yyyy-mm-dd"
        elif column.key not in number_keys and kind not in (FieldType.NUMBER, FieldType.MONEY):
            dimension.number_format = "@"
        if column.domain_field and column.domain_field.help_text:
            cell.comment = Comment(column.domain_field.help_text, "")

    lists = workbook.create_sheet("lists")
    lists.sheet_state = "hidden"
    options: list[tuple[int, list[str]]] = []
    keys = [column.key for column in schema.columns]
    options.append((keys.index("domain"), [d.name for d in schema.domains]))
    options.append((keys.index("problem_type"), [p.name for p in schema.problem_types()]))
    options.append((keys.index("source"), list(source_labels())))
    options.append((keys.index("status"), list(status_labels(AGENCY_ISSUE_STATUSES))))
    options.append((keys.index("creditor_is_sme"), list(yes_no())))
    for index, column in enumerate(schema.columns):
        if column.domain_field and column.domain_field.field_type == FieldType.CHOICE:
            options.append((index, list(column.domain_field.choices)))
    for list_index, (column_index, values) in enumerate(options, start=1):
        if not values:
            continue
        letter = get_column_letter(list_index)
        for row, value in enumerate(values, start=1):
            write_text(lists, row, list_index, value)  # names typed by the tenant
        source = f"{quote_sheetname('lists')}!${letter}$1:${letter}${len(values)}"
        validation = DataValidation(type="list", formula1=source, allow_blank=True)
        validation.error = _("Choose a value from the list.")
        validation.showErrorMessage = True
        sheet.add_data_validation(validation)
        target = get_column_letter(column_index + 1)
        validation.add(f"{target}2:{target}{last_row}")

    notes = workbook.create_sheet(_("Instructions"))
    notes.column_dimensions["A"].width = 120
    for line in template_instructions(campaign):
        notes.append([line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_instructions(campaign: Campaign) -> list[str]:
    return [
        _("Issue ledger of the campaign %(title)s (%(number)s).")
        % {"title": campaign.title, "number": campaign.document_number or "—"},
        _("Fill one issue per row on the first sheet; do not change the header row."),
        _(
            "Leave the ledger number empty for a new issue. To change an issue already in the "
            "ledger, keep its number: export the ledger, edit the rows and import the file "
            "again; rows that are unchanged are left as they are."
        ),
        _(
            "Key domain, problem type, failing subject, responsible person and discovered on "
            "are required. Choose the key domain, problem type, source, status and the SME flag "
            "from the dropdown lists."
        ),
        _(
            "An empty deadline means the campaign's completion deadline (%(date)s). An empty "
            "source means self-inspection; an empty status means to be rectified."
        )
        % {"date": campaign.completion_deadline.isoformat()},
        _(
            "Arrears: fill the creditor enterprise and the amount owed. The payment term is 30 "
            "days when empty, at most 60 days by contract. Amounts are in yuan with at most two "
            "decimals."
        ),
        _(
            "Amount repaid so far: on a new row it is recorded as one repayment on the last "
            "repayment date. On an existing issue a higher total adds a repayment of the "
            "difference on that date; to lower it, delete repayments on the issue's page."
        ),
        _(
            "Columns named “key domain·field” are the extra fields of that key domain: fill "
            "only those of the row's key domain."
        ),
        _(
            "The last three columns are computed by the platform (outstanding, days overdue, "
            "late interest) and ignored on import."
        ),
        _("Dates are written as 2026-03-15. Closed issues (销号) cannot be changed by import."),
        _("Enter values only: formulas are refused. At most %(n)d rows.")
        % {"n": LEDGER_IMPORT_MAX_ROWS},
        _("The import is all or nothing: if any row has an error, nothing is saved."),
    ]


# Cell parsing ---------------------------------------------------------------------------------


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_date(value) -> datetime.date | None:
    """An Excel date, or text such as 2026-03-15, 2026/3/15 or 2026年3月15日; None when empty,
    ValueError otherwise."""
    if _blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    match = DATE_RE.match(cell_text(value))
    if not match:
        raise ValueError(value)
    return datetime.date(*(int(part) for part in match.groups()))


def _decimal_text(value) -> str:
    if isinstance(value, float):
        return repr(value)
    return cell_text(value).replace(",", "").replace("，", "")


def parse_amount(value) -> Decimal | None:
    """Yuan, at least 0, at most two decimals; None when empty, ValueError otherwise."""
    if _blank(value):
        return None
    try:
        amount = Decimal(_decimal_text(value))
    except InvalidOperation:
        raise ValueError(value) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_YUAN:
        raise ValueError(value)
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(value)
    return amount.quantize(Decimal("0.01"))


def parse_int(value) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    try:
        number = Decimal(_decimal_text(value))
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(value)
    return int(number)


def display(value) -> str:
    """A cell as the preview shows it."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value).removesuffix(".0")
    return cell_text(value)


# Row validation -------------------------------------------------------------------------------


@dataclass
class ParsedRow:
    """A row of an upload: the model values it sets, or its errors."""

    row: int
    number: int | None
    data: dict
    repaid: Decimal
    repaid_on: datetime.date | None
    status_given: bool
    errors: list[RowError] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    action: str = "new"  # new / update / unchanged
    issue: LedgerIssue | None = None
    changed: list[str] = field(default_factory=list)
    repayment: Decimal = Decimal("0")  # what the import adds as a repayment


class RowParser:
    """Validates rows of one agency's ledger in one campaign."""

    def __init__(self, schema: LedgerSchema, campaign: Campaign, *, today: datetime.date):
        self.schema = schema
        self.campaign = campaign
        self.today = today
        self.headers = {c.key: c.header for c in schema.columns if c.domain_field is None}
        self.domains = {d.name: d for d in schema.domains}
        self.problem_types = {p.name: p for p in schema.problem_types()}
        self.sources = {**source_labels(), **{v: v for v in IssueSource.values}}
        self.statuses = {**status_labels(), **{v: v for v in IssueStatus.values}}
        yes, no = yes_no()
        self.flags = {yes: True, no: False, "是": True, "否": False, "Y": True, "N": False}
        self.extra_columns = [c for c in schema.columns if c.domain_field is not None]
        self.domain_names = {d.pk: d.name for d in schema.domains}
        self.seen_numbers: dict[int, int] = {}
        self.preview_headers = [c.header for c in schema.columns if not c.computed]

    # Step 1: the row on its own ------------------------------------------------------------

    def _show_default(self, row: ParsedRow, key: str, value) -> None:
        """In the preview, an empty cell shows the value the import will store."""
        if row.cells:
            index = self.preview_headers.index(self.headers[key])
            row.cells[index] = _("%(value)s (default)") % {"value": value}

    def parse(self, number: int, raw: dict, *, cells: bool = True) -> ParsedRow:
        """Check a row on its own; `cells`: keep its values as shown in the preview."""
        errors: list[RowError] = []
        headers = self.headers

        def error(key: str, message: str, header: str | None = None) -> None:
            errors.append(RowError(number, header or headers[key], str(message)))

        def text(key: str) -> str:
            return cell_text(raw[headers[key]])

        data: dict = {}
        row = ParsedRow(
            row=number,
            number=None,
            data=data,
            repaid=Decimal("0"),
            repaid_on=None,
            status_given=False,
            errors=errors,
            cells=[display(raw[h]) for h in self.preview_headers] if cells else [],
        )
        try:
            row.number = parse_int(raw[headers["number"]])
            if row.number is not None and row.number < 1:
                raise ValueError(row.number)
        except ValueError:
            error("number", _("Enter the ledger number of an existing issue, or leave it empty."))

        domain = None
        name = text("domain")
        if not name:
            error("domain", _("Required."))
        elif name not in self.domains:
            error(
                "domain",
                _("Choose one of the campaign's key domains: %(options)s.")
                % {"options": "、".join(self.domains)},
            )
        else:
            domain = self.domains[name]
            data["domain_id"] = domain.pk

        name = text("problem_type")
        if not name:
            error("problem_type", _("Required."))
        elif name not in self.problem_types:
            error("problem_type", _("No problem type of this jurisdiction has this name."))
        else:
            data["problem_type_id"] = self.problem_types[name].pk

        for key in ("subject_name", "responsible_person"):
            value = text(key)
            if not value:
                error(key, _("Required."))
            elif len(value) > TEXT_LIMITS[key]:
                error(key, _("At most %(n)d characters.") % {"n": TEXT_LIMITS[key]})
            data[key] = value
        for key in ("creditor_name", "contract"):
            value = text(key)
            if len(value) > TEXT_LIMITS[key]:
                error(key, _("At most %(n)d characters.") % {"n": TEXT_LIMITS[key]})
            data[key] = value
        for key in TEXT_FIELDS:
            data[key] = text(key)
        for key in ("subject_credit_code", "creditor_credit_code"):
            code = text(key)
            code = code and normalize_credit_code(code)  # mostly empty: 1/10 of a row's parse
            if code:
                try:
                    validate_credit_code(code)
                except ValidationError as exc:
                    error(key, exc.messages[0])
            data[key] = code

        value = text("source")
        if not value:
            data["source"] = IssueSource.SELF_INSPECTION
            self._show_default(row, "source", IssueSource.SELF_INSPECTION.label)
        elif value in self.sources:
            data["source"] = self.sources[value]
        else:
            error(
                "source",
                _("Choose one of: %(options)s.") % {"options": "、".join(source_labels())},
            )

        value = text("status")
        if not value:
            data["status"] = IssueStatus.PENDING
        elif value in self.statuses:
            data["status"] = self.statuses[value]
            row.status_given = True
        else:
            options = "、".join(status_labels(AGENCY_ISSUE_STATUSES))
            error("status", _("Choose one of: %(options)s.") % {"options": options})

        dates = {}
        for key in ("discovered_on", "deadline", "accepted_on", "last_repaid_on"):
            try:
                dates[key] = parse_date(raw[headers[key]])
            except ValueError:
                error(key, _("Write the date as 2026-03-15."))
                dates[key] = False  # wrong, already reported
        if dates["discovered_on"] is None:
            error("discovered_on", _("Required."))
        elif dates["discovered_on"]:
            data["discovered_on"] = dates["discovered_on"]
        if dates["deadline"] is None:
            data["deadline"] = self.campaign.completion_deadline
            self._show_default(row, "deadline", self.campaign.completion_deadline.isoformat())
        elif dates["deadline"]:
            data["deadline"] = dates["deadline"]
        if (
            data.get("discovered_on")
            and data.get("deadline")
            and data["deadline"] < data["discovered_on"]
        ):
            error("deadline", _("The deadline precedes the discovery."))
        if dates["accepted_on"] is not False:
            data["accepted_on"] = dates["accepted_on"]

        value = text("creditor_is_sme")
        if not value:
            data["creditor_is_sme"] = False
        elif value in self.flags:
            data["creditor_is_sme"] = self.flags[value]
        else:
            error(
                "creditor_is_sme",
                _("Choose one of: %(options)s.") % {"options": "、".join(yes_no())},
            )

        try:
            term = parse_int(raw[headers["payment_term_days"]])
            if term is not None and not 1 <= term <= MAX_PAYMENT_TERM_DAYS:
                raise ValueError(term)
            data["payment_term_days"] = DEFAULT_PAYMENT_TERM_DAYS if term is None else term
        except ValueError:
            error(
                "payment_term_days",
                _("Enter a whole number of days from 1 to %(max)d.")
                % {"max": MAX_PAYMENT_TERM_DAYS},
            )

        amounts = {}
        for key in ("amount_owed", "amount_repaid"):
            try:
                amounts[key] = parse_amount(raw[headers[key]])
            except ValueError:
                error(key, _("Enter an amount in yuan of at least 0 with at most two decimals."))
                amounts[key] = False
        owed, repaid = amounts["amount_owed"], amounts["amount_repaid"]
        if owed is not False:
            data["amount_owed"] = owed
            if owed is None and (data.get("creditor_name") or data.get("accepted_on")):
                error("amount_owed", _("Enter the amount owed for arrears."))
            elif owed is not None and not data.get("creditor_name"):
                error("creditor_name", _("Name the enterprise that is owed."))
        if repaid:
            row.repaid = repaid
            if owed is None:
                error("amount_repaid", _("This issue records no arrears."))
            elif owed is not False and repaid > owed:
                error("amount_repaid", _("The amount repaid exceeds the amount owed."))
        row.repaid_on = dates["last_repaid_on"] or None
        if row.repaid_on and row.repaid_on > self.today:
            error("last_repaid_on", _("The date is in the future."))

        data["extra"] = self._extra(raw, domain, error)
        row.errors = errors
        return row

    def _extra(self, raw: dict, domain: KeyDomain | None, error) -> dict:
        own: dict[str, object] = {}
        headers_by_key: dict[str, str] = {}
        for column in self.extra_columns:
            value = raw[column.header]
            domain_field = column.domain_field
            if domain is None or domain_field.domain_id != domain.pk:
                if not _blank(value):
                    error(
                        "extra",
                        _("This column belongs to the key domain %(domain)s.")
                        % {"domain": self.domain_names[domain_field.domain_id]},
                        header=column.header,
                    )
                continue
            headers_by_key[domain_field.key] = column.header
            if domain_field.field_type == FieldType.DATE:
                try:
                    value = parse_date(value)
                except ValueError:
                    value = cell_text(value)
            elif domain_field.field_type in (FieldType.NUMBER, FieldType.MONEY):
                value = None if _blank(value) else _decimal_text(value)
            else:
                value = cell_text(value)
            own[domain_field.key] = value
        if domain is None:
            return {}
        try:
            return services.extra_values_clean(self.schema.fields_by_domain[domain.pk], own)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                error("extra", messages[0], header=headers_by_key.get(key, key))
            return {}

    # Step 2: a batch of rows against the existing issues -----------------------------------

    def existing(self, numbers: Iterable[int], agency_id: int, *, lock: bool = False) -> dict:
        numbers = sorted(set(numbers))
        if not numbers:
            return {}
        qs = LedgerIssue.objects.filter(
            campaign_id=self.campaign.pk, agency_id=agency_id, number__in=numbers
        )
        if lock:
            qs = qs.select_for_update()
        return {issue.number: issue for issue in qs}

    def resolve(self, rows: list[ParsedRow], agency_id: int, *, lock: bool = False) -> None:
        """Check numbered rows against the issues they name (one query for the batch) and
        decide what each row does: create an issue, update one, or nothing."""
        existing = self.existing(
            (r.number for r in rows if r.number is not None and not r.errors), agency_id, lock=lock
        )
        for row in rows:
            if row.number is not None:
                first = self.seen_numbers.setdefault(row.number, row.row)
                if first != row.row:
                    message = _("Same ledger number as row %(row)d.") % {"row": first}
                    self._error(row, "number", message)
            if row.errors:
                continue
            if row.number is None:
                self._resolve_new(row)
            elif row.number not in existing:
                message = _("Your agency has no issue with this ledger number in the campaign.")
                self._error(row, "number", message)
            else:
                self._resolve_update(row, existing[row.number])

    def _error(self, row: ParsedRow, key: str, message: str) -> None:
        row.errors.append(RowError(row.row, self.headers[key], str(message)))

    def _resolve_new(self, row: ParsedRow) -> None:
        row.action = "new"
        if row.data["status"] == IssueStatus.CLOSED:
            self._error(row, "status", _("Only the credit office closes an issue."))
        if row.repaid:
            if row.repaid_on is None:
                self._error(row, "last_repaid_on", _("Enter the date of the last repayment."))
            row.repayment = row.repaid
        if row.data["status"] == IssueStatus.RECTIFIED:
            row.data["rectified_on"] = self.today

    def _resolve_update(self, row: ParsedRow, issue: LedgerIssue) -> None:
        """An existing issue: only what differs is changed, a higher repaid total adds a
        repayment; a closed issue may come back unchanged (an export re-imported)."""
        data = row.data
        if not row.status_given:
            data["status"] = issue.status
        changed = [key for key in IMPORT_FIELDS if getattr(issue, key) != data[key]]
        repayment = row.repaid - issue.amount_repaid
        row.issue, row.changed = issue, changed
        if issue.status == IssueStatus.CLOSED:
            if changed or repayment:
                self._error(row, "number", _("A closed issue can no longer be changed."))
            row.action = "unchanged"
            return
        if data["status"] == IssueStatus.CLOSED:
            self._error(row, "status", _("Only the credit office closes an issue."))
        if repayment < 0:
            message = _(
                "Less than the %(amount)s yuan already repaid: reduce repayments on the issue's "
                "page."
            ) % {"amount": issue.amount_repaid}
            self._error(row, "amount_repaid", message)
        elif repayment > 0:
            if row.repaid_on is None:
                message = _("Enter the date of the repayment that the higher total adds.")
                self._error(row, "last_repaid_on", message)
            row.repayment = repayment
        rectified = "status" in changed and data["status"] == IssueStatus.RECTIFIED
        if rectified and not issue.rectified_on:
            data["rectified_on"] = self.today
            changed.append("rectified_on")
        row.action = "update" if changed or repayment > 0 else "unchanged"


# Exports --------------------------------------------------------------------------------------


def export_labels() -> dict:
    """The translated labels an export writes, looked up once per export rather than per
    cell (gettext per row was a tenth of a 100,000-row export)."""
    yes, no = yes_no()
    return {
        "source": {value: str(label) for value, label in IssueSource.choices},
        "status": {value: str(label) for value, label in IssueStatus.choices},
        "yes": yes,
        "no": no,
    }


# The values an export reads from each issue. Exports read `.values()` rows, with the related
# names and the repayments in the same query: a model instance per issue and per related row
# (six per issue) was most of a 100,000-row export outside openpyxl (benchmark B5).
EXPORT_VALUES = (
    "number",
    "domain_id",
    "domain__name",
    "problem_type__name",
    *IMPORT_FIELDS[2:],  # what an import sets after the domain and problem type
    "amount_repaid",
    "daily_interest_rate",
)


def export_issues(issues: QuerySet[LedgerIssue], *more: str) -> QuerySet:
    """`issues` as the rows `export_rows` reads: dicts of EXPORT_VALUES (and of `more`, such as
    the prefix columns' `campaign__title`), with the dates and amounts of an arrears issue's
    repayments as two arrays in the same order, aggregated per issue in the same query."""
    repayments = Repayment.objects.filter(issue=OuterRef("pk")).order_by("paid_on", "id")

    def arrears(field: str) -> Case:
        return Case(
            When(amount_owed__isnull=False, then=ArraySubquery(repayments.values(field))),
            default=None,
        )

    return issues.values(
        *EXPORT_VALUES,
        *more,
        repayment_dates=arrears("paid_on"),
        repayment_amounts=arrears("amount"),
    )


def export_value(column: Column, issue: dict, position, last_repaid_on, labels=None):
    """The cell of `column` for an issue read by `export_issues`."""
    key = column.key
    labels = labels or export_labels()
    if column.domain_field is not None:
        if issue["domain_id"] != column.domain_field.domain_id:
            return None
        value = (issue["extra"] or {}).get(column.domain_field.key)
        if value in (None, ""):
            return None
        kind = column.domain_field.field_type
        try:
            if kind in (FieldType.NUMBER, FieldType.MONEY):
                return Decimal(value)
            if kind == FieldType.DATE:
                return datetime.date.fromisoformat(value)
        except (InvalidOperation, ValueError, TypeError):
            pass
        return str(value)
    arrears = issue["amount_owed"] is not None
    match key:
        case "domain":
            return issue["domain__name"]
        case "problem_type":
            return issue["problem_type__name"]
        case "source":
            return labels["source"].get(issue["source"], issue["source"])
        case "status":
            return labels["status"].get(issue["status"], issue["status"])
        case "creditor_is_sme":
            if issue["creditor_is_sme"]:
                return labels["yes"]
            return labels["no"] if arrears else None
        case "payment_term_days":
            term = issue["payment_term_days"]
            return term if arrears or term != DEFAULT_PAYMENT_TERM_DAYS else None
        case "amount_repaid":
            return issue["amount_repaid"] if arrears else None
        case "last_repaid_on":
            return last_repaid_on
        case "outstanding":
            return position.outstanding if position else None
        case "days_overdue":
            return position.days_overdue if position else None
        case "interest_due":
            return position.interest_due if position else None
        case _:
            value = issue[key]
            return None if value == "" else value


def export_rows(
    schema: LedgerSchema, issues: Iterable[dict], *, today: datetime.date, prefix=None
) -> Iterator[list]:
    """Rows of an export of issues read by `export_issues` (the arrears position is computed
    from their repayments); `prefix(issue)` gives the values of the prefix columns."""
    columns = [c for c in schema.columns if not c.prefix]
    labels = export_labels()
    for issue in issues:
        position, last = None, None
        if issue["amount_owed"] is not None:
            repayments = list(
                zip(issue["repayment_dates"] or (), issue["repayment_amounts"] or (), strict=True)
            )
            last = max((day for day, _amount in repayments), default=None)
            position = arrears_position(
                owed=issue["amount_owed"],
                accepted_on=issue["accepted_on"],
                term_days=issue["payment_term_days"],
                repayments=repayments,
                today=today,
                daily_rate=issue["daily_interest_rate"],
            )
        values = [export_value(c, issue, position, last, labels) for c in columns]
        yield [*(prefix(issue) if prefix else ()), *values]


# Progress ------------------------------------------------------------------------------------

_DIMENSION_RE = re.compile(rb'<dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"')


def estimate_rows(data: bytes) -> int | None:
    """How many data rows the first sheet probably has, for the progress bar: its declared
    dimension, else a guess from the size of its first rows. Reads only the start of the
    sheet (the file is checked properly by integrity.xlsx.read_rows)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        info = archive.getinfo("xl/worksheets/sheet1.xml")
        with archive.open(info) as stream:
            head = stream.read(256 * 1024)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
        return None
    match = _DIMENSION_RE.search(head[:4096])
    if match and int(match.group(1)) > 1:
        return int(match.group(1)) - 1
    starts = [m.start() for m in re.finditer(rb"<row[ >]", head)]
    if len(starts) < 3:
        return max(len(starts) - 1, 0)
    per_row = (starts[-1] - starts[1]) / (len(starts) - 2)
    return max(int((info.file_size - starts[1]) / per_row), len(starts) - 1)
