"""Agency list import and export (Excel)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from integrity import rls
from integrity.xlsx import RowError, cell_text, read_rows, write_workbook

from .choices import AgencyKind, RankingGroup
from .models import Agency
from .validators import normalize_credit_code, validate_credit_code

MAX_AGENCY_ROWS = 5000


def agency_columns() -> list[tuple[str, str]]:
    """(field, header label) in template order; labels are translated at call time."""
    return [
        ("name", _("Agency name")),
        ("kind", _("Kind")),
        ("credit_code", _("Unified social credit code")),
        ("ranking_group", _("Ranking group")),
        ("leader_name", _("Leader")),
        ("contact_name", _("Contact person")),
        ("contact_phone", _("Contact phone")),
        ("is_active", _("Status")),
    ]


def _choice_map(choices) -> dict[str, str]:
    mapping = {}
    for value, label in choices:
        mapping[str(label)] = value
        mapping[value] = value
    return mapping


def _status_labels() -> tuple[str, str]:
    return _("Active"), _("Inactive")


def agency_template() -> bytes:
    """An empty import template with dropdowns and an instructions sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Agencies")
    headers = [label for _f, label in agency_columns()]
    sheet.append(headers)
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[chr(64 + index)].width = max(14, len(header) * 2 + 4)
    dropdowns = {
        "B": [str(label) for _v, label in AgencyKind.choices],
        "D": [str(label) for _v, label in RankingGroup.choices],
        "H": list(_status_labels()),
    }
    for column, options in dropdowns.items():
        validation = DataValidation(
            type="list", formula1='"' + ",".join(options) + '"', allow_blank=True
        )
        validation.error = _("Choose a value from the list.")
        validation.showErrorMessage = True
        sheet.add_data_validation(validation)
        validation.add(f"{column}2:{column}{MAX_AGENCY_ROWS + 1}")
    notes = workbook.create_sheet(_("Instructions"))
    notes.column_dimensions["A"].width = 100
    for line in [
        _("Fill one agency per row on the first sheet; do not change the header row."),
        _("Agency name and kind are required. An agency whose name already exists is updated."),
        _("The unified social credit code has 18 characters and is checked (GB 32100-2015)."),
        _("Ranking group may be left empty: it then follows the kind."),
        _("Status is Active or Inactive; empty means Active."),
        _("Enter values only: formulas are refused. At most %(n)d rows.") % {"n": MAX_AGENCY_ROWS},
        _("The import is all or nothing: if any row has an error, nothing is saved."),
    ]:
        notes.append([line])
    import io

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def parse_agency_rows(uploaded, *, tenant) -> tuple[list[dict], list[RowError]]:
    """Validate every row; return clean rows or the list of errors (row, column, message)."""
    columns = agency_columns()
    labels = dict(columns)
    kinds = _choice_map(AgencyKind.choices)
    groups = _choice_map(RankingGroup.choices)
    active_label, inactive_label = _status_labels()
    statuses = {active_label: True, inactive_label: False, "": True}
    # Code → name of the agency of this tenant holding it (it may keep it); None for a code held
    # in another tenant, which no row may take, even one with the same name. Codes are unique
    # across tenants, so they are looked up with the platform's scope (row-level security).
    with rls.system():
        others = {
            code: (name if tenant_id == tenant.pk else None)
            for code, name, tenant_id in Agency.objects.exclude(credit_code="").values_list(
                "credit_code", "name", "tenant_id"
            )
        }
    rows: list[dict] = []
    errors: list[RowError] = []
    seen_names: dict[str, int] = {}
    seen_codes: dict[str, int] = {}
    headers = [label for _f, label in columns]
    for number, raw in read_rows(uploaded, headers, max_rows=MAX_AGENCY_ROWS):
        values = {field: cell_text(raw[label]) for field, label in columns}
        row_errors = []

        def error(field, message, row_errors=row_errors, number=number):
            row_errors.append(RowError(number, labels[field], message))

        data = {f: values[f] for f in ("name", "leader_name", "contact_name", "contact_phone")}
        if not data["name"]:
            error("name", _("Required."))
        elif len(data["name"]) > 100:
            error("name", _("At most 100 characters."))
        elif data["name"] in seen_names:
            error("name", _("Same name as row %(row)d.") % {"row": seen_names[data["name"]]})
        else:
            seen_names[data["name"]] = number
        if values["kind"] not in kinds:
            error(
                "kind",
                _("Choose one of: %(options)s.")
                % {"options": "、".join(str(label) for _v, label in AgencyKind.choices)},
            )
        else:
            data["kind"] = kinds[values["kind"]]
        if values["ranking_group"] and values["ranking_group"] not in groups:
            error(
                "ranking_group",
                _("Choose one of: %(options)s.")
                % {"options": "、".join(str(label) for _v, label in RankingGroup.choices)},
            )
        else:
            data["ranking_group"] = groups.get(values["ranking_group"], "")
        code = normalize_credit_code(values["credit_code"])
        if code:
            try:
                validate_credit_code(code)
            except ValidationError as exc:
                error("credit_code", exc.messages[0])
            else:
                if code in seen_codes:
                    error("credit_code", _("Same code as row %(row)d.") % {"row": seen_codes[code]})
                elif code in others and others[code] is None:
                    error("credit_code", _("Already used by an agency of another jurisdiction."))
                elif code in others and others[code] != data["name"]:
                    error("credit_code", _("Already used by %(name)s.") % {"name": others[code]})
                seen_codes[code] = number
        data["credit_code"] = code
        for field, limit in (("leader_name", 50), ("contact_name", 50), ("contact_phone", 30)):
            if len(data[field]) > limit:
                error(field, _("At most %(n)d characters.") % {"n": limit})
        if values["is_active"] not in statuses:
            error(
                "is_active",
                _("Choose one of: %(options)s.") % {"options": f"{active_label}、{inactive_label}"},
            )
        else:
            data["is_active"] = statuses[values["is_active"]]
        errors.extend(row_errors)
        if not row_errors:
            rows.append(data)
    if not rows and not errors:
        errors.append(RowError(0, "", _("The file has no data rows.")))
    return rows, errors


def agency_export(queryset, *, include_tenant: bool) -> bytes:
    """The template's columns (so an export imports back), plus the jurisdiction for readers of
    several tenants."""
    columns = agency_columns()
    active_label, inactive_label = _status_labels()
    kinds = dict(AgencyKind.choices)
    groups = dict(RankingGroup.choices)
    headers = [label for _f, label in columns] + ([_("Jurisdiction")] if include_tenant else [])
    rows = (
        [
            a.name,
            str(kinds.get(a.kind, a.kind)),
            a.credit_code,
            str(groups.get(a.ranking_group, a.ranking_group)),
            a.leader_name,
            a.contact_name,
            a.contact_phone,
            active_label if a.is_active else inactive_label,
        ]
        + ([a.tenant.name] if include_tenant else [])
        for a in queryset.select_related("tenant").iterator(chunk_size=2000)
    )
    return write_workbook([(_("Agencies"), headers, rows)])
