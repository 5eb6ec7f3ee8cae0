"""Hotline import (12345 / 961890 exports, letters, visits) from Excel: the template and the
row-by-row validation.

Same guarantees as the agency import (`accounts/excel.py`, `integrity/xlsx.py`): the file is
checked as a whole first (not a zip, truncated, zip bomb, formulas, external links, header row,
size and row limits), then every row is validated and every problem reported with its row number
and column; `services.complaints_import` saves all rows or none.
"""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from accounts.models import Agency
from domains.forms.public import clean_phone
from domains.models import KeyDomain
from integrity.xlsx import RowError, cell_text, read_rows, write_text

from .choices import Channel
from .models import Complaint

MAX_COMPLAINT_ROWS = 2000
IMPORT_CHANNELS = (Channel.HOTLINE_12345, Channel.HOTLINE_961890, Channel.LETTER, Channel.VISIT)
HOTLINES = (Channel.HOTLINE_12345, Channel.HOTLINE_961890)
MAX_AMOUNT = Decimal("999999999999.99")


def complaint_columns() -> list[tuple[str, str]]:
    """(field, header label) in template order; labels are translated at call time."""
    return [
        ("channel", _("Channel")),
        ("source_reference", _("Hotline ticket number")),
        ("received_on", _("Received on")),
        ("agency", _("Agency complained about")),
        ("domain", _("Key domain")),
        ("title", _("Complaint subject")),
        ("content", _("What happened")),
        ("amount", _("Amount involved (yuan)")),
        ("occurred_on", _("Date of the events")),
        ("complainant_name", _("Complainant")),
        ("complainant_phone", _("Complainant's phone")),
    ]


def _channel_labels() -> dict[str, str]:
    labels = dict(Channel.choices)
    return {str(labels[value]): value for value in IMPORT_CHANNELS}


def complaint_template(*, tenant) -> bytes:
    """An empty template: header row, dropdowns for the channel, the agency and the domain (the
    lists live on a hidden sheet, so long agency lists fit), and an instructions sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Complaints")
    columns = complaint_columns()
    headers = [label for _f, label in columns]
    sheet.append(headers)
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(header) * 2 + 4)
    sheet.freeze_panes = "A2"

    lists = workbook.create_sheet("lists")
    lists.sheet_state = "hidden"
    options = {
        "channel": list(_channel_labels()),
        "agency": list(
            Agency.objects.filter(tenant=tenant, is_active=True)
            .order_by("name")
            .values_list("name", flat=True)
        ),
        "domain": list(
            KeyDomain.objects.filter(tenant=tenant, is_active=True).values_list("name", flat=True)
        ),
    }
    fields = [field for field, _label in columns]
    for list_index, (field, values) in enumerate(options.items(), start=1):
        if not values:
            continue
        letter = get_column_letter(list_index)
        for row, value in enumerate(values, start=1):
            write_text(lists, row, list_index, value)  # agency and domain names
        source = f"{quote_sheetname('lists')}!${letter}$1:${letter}${len(values)}"
        validation = DataValidation(type="list", formula1=source, allow_blank=True)
        validation.error = _("Choose a value from the list.")
        validation.showErrorMessage = True
        sheet.add_data_validation(validation)
        target = get_column_letter(fields.index(field) + 1)
        validation.add(f"{target}2:{target}{MAX_COMPLAINT_ROWS + 1}")

    notes = workbook.create_sheet(_("Instructions"))
    notes.column_dimensions["A"].width = 110
    for line in [
        _("Fill one complaint per row on the first sheet; do not change the header row."),
        _("Channel, received on, agency, subject and what happened are required."),
        _(
            "For the 12345 and 961890 hotlines the ticket number is required; a ticket already "
            "imported for the same hotline is refused, so an export can be imported again safely "
            "after removing the rows already imported."
        ),
        _(
            "The agency and the key domain are chosen from the lists (the names of this "
            "jurisdiction); the key domain may be left empty."
        ),
        _("Dates are written as 2026-03-15; the amount in yuan with at most two decimals."),
        _("The complainant's name and phone are seen by the credit office only."),
        _("Enter values only: formulas are refused. At most %(n)d rows.")
        % {"n": MAX_COMPLAINT_ROWS},
        _("The import is all or nothing: if any row has an error, nothing is saved."),
    ]:
        notes.append([line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def parse_date(value) -> datetime.date | None:
    """A cell as a date: an Excel date, or text such as 2026-03-15, 2026/3/15, 2026年3月15日.
    None for an empty cell; ValueError for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    match = DATE_RE.match(cell_text(value))
    if not match:
        raise ValueError(value)
    return datetime.date(*(int(part) for part in match.groups()))


def parse_amount(value) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float):
        value = repr(value)
    text = cell_text(value).replace(",", "").replace("，", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(value) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise ValueError(value)
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(value)
    return amount.quantize(Decimal("0.01"))


def parse_complaint_rows(uploaded, *, tenant) -> tuple[list[dict], list[RowError]]:
    """Validate every row; return clean rows (service data) or the errors (row, column,
    message)."""
    columns = complaint_columns()
    labels = dict(columns)
    channels = _channel_labels()
    channels.update({value: value for value in IMPORT_CHANNELS})
    agencies = {a.name: a for a in Agency.objects.filter(tenant=tenant, is_active=True)}
    domains = {d.name: d for d in KeyDomain.objects.filter(tenant=tenant, is_active=True)}
    imported = set(
        Complaint.objects.filter(tenant=tenant)
        .exclude(source_reference="")
        .values_list("channel", "source_reference")
    )
    today = timezone.localdate()
    seen: dict[tuple[str, str], int] = {}
    rows: list[dict] = []
    errors: list[RowError] = []
    headers = [label for _f, label in columns]
    for number, raw in read_rows(uploaded, headers, max_rows=MAX_COMPLAINT_ROWS):
        row_errors: list[RowError] = []

        def error(field, message, row_errors=row_errors, number=number):
            row_errors.append(RowError(number, labels[field], message))

        text = {field: cell_text(raw[label]) for field, label in columns}
        data: dict = {}

        channel = channels.get(text["channel"])
        if channel is None:
            options = "、".join(_channel_labels())
            error("channel", _("Choose one of: %(options)s.") % {"options": options})
        data["channel"] = channel

        ticket = text["source_reference"]
        if len(ticket) > 60:
            error("source_reference", _("At most %(n)d characters.") % {"n": 60})
        elif channel in HOTLINES and not ticket:
            error("source_reference", _("Required for the 12345 and 961890 hotlines."))
        elif ticket and channel:
            if (channel, ticket) in imported:
                error("source_reference", _("This ticket was already imported."))
            elif (channel, ticket) in seen:
                error(
                    "source_reference",
                    _("Same ticket as row %(row)d.") % {"row": seen[(channel, ticket)]},
                )
            else:
                seen[(channel, ticket)] = number
        data["source_reference"] = ticket

        for field, required in (("received_on", True), ("occurred_on", False)):
            try:
                value = parse_date(raw[labels[field]])
            except ValueError:
                error(field, _("Write the date as 2026-03-15."))
                continue
            if value is None and required:
                error(field, _("Required."))
            elif value is not None and value > today:
                error(field, _("The date cannot be in the future."))
            elif value is not None:
                data[field] = value

        if not text["agency"]:
            error("agency", _("Required."))
        elif text["agency"] not in agencies:
            error("agency", _("No active agency of this jurisdiction has this name."))
        else:
            data["agency"] = agencies[text["agency"]]

        if text["domain"] and text["domain"] not in domains:
            error("domain", _("No key domain of this jurisdiction has this name."))
        else:
            data["domain"] = domains.get(text["domain"])

        for field, limit in (("title", 200), ("content", 5000)):
            if not text[field]:
                error(field, _("Required."))
            elif len(text[field]) > limit:
                error(field, _("At most %(n)d characters.") % {"n": limit})
            else:
                data[field] = text[field]

        try:
            data["amount"] = parse_amount(raw[labels["amount"]])
        except ValueError:
            error("amount", _("Enter an amount in yuan of at least 0 with at most two decimals."))

        if len(text["complainant_name"]) > 60:
            error("complainant_name", _("At most %(n)d characters.") % {"n": 60})
        data["complainant_name"] = text["complainant_name"]
        phone = text["complainant_phone"]
        if phone:
            try:
                phone = clean_phone(phone)
            except ValidationError as exc:
                error("complainant_phone", exc.messages[0])
        data["complainant_phone"] = phone

        errors.extend(row_errors)
        if not row_errors:
            rows.append(data)
    if not rows and not errors:
        errors.append(RowError(0, "", _("The file has no data rows.")))
    return rows, errors
