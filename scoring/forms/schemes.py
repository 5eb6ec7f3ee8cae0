"""Forms of the scheme pages. Shape only: whether points add up, grades make sense and a period
is free is `scoring.services`' business (scheme_problems, scheme_create, indicator_save)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from ..calculators import CALCULATORS
from ..choices import CategoryKind, Method, PeriodKind
from ..models import Scheme


def json_number(value: Decimal) -> int | float:
    """Points in a JSON field: whole numbers as int (as the default scheme writes them)."""
    return int(value) if value == value.to_integral_value() else float(value)


class PeriodFields(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("Left empty: named after the period."),
    )
    period_kind = forms.ChoiceField(label=_("Period"), choices=PeriodKind.choices)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    period_number = forms.IntegerField(
        label=_("Half-year or quarter"),
        min_value=1,
        max_value=4,
        initial=1,
        help_text=_("1 or 2 for a half-year, 1 to 4 for a quarter; ignored for a year."),
    )

    def period_data(self) -> dict:
        return {
            field: self.cleaned_data[field]
            for field in ("name", "period_kind", "year", "period_number")
        }


class SchemeCreateForm(PeriodFields):
    copy_from = forms.ModelChoiceField(
        label=_("Start from"),
        queryset=Scheme.objects.none(),
        required=False,
        empty_label=_("The default scheme"),
        help_text=_("Copy the indicators, points and grades of an earlier scheme of the county."),
    )

    def __init__(self, *args, schemes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["copy_from"].queryset = schemes


class SchemeEditForm(PeriodFields):
    name = forms.CharField(label=_("Name"), max_length=200)


class GradeForm(forms.Form):
    """A grade row; a row without a label is dropped (that is how a grade is removed)."""

    label = forms.CharField(label=_("Grade"), max_length=20, required=False)
    min = forms.DecimalField(
        label=_("Minimum total"),
        max_digits=7,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("label") or "").strip() and cleaned.get("min") is None:
            self.add_error("min", _("Enter the minimum total of this grade."))
        return cleaned


GradeFormSet = forms.formset_factory(GradeForm, extra=2)


def grades_from(formset) -> list[dict]:
    """The filled grade rows, highest minimum first, as the scheme stores them."""
    rows = [
        {"label": form.cleaned_data["label"].strip(), "min": json_number(form.cleaned_data["min"])}
        for form in formset.forms
        if form.cleaned_data and (form.cleaned_data.get("label") or "").strip()
    ]
    return sorted(rows, key=lambda g: Decimal(str(g["min"])), reverse=True)


MANUAL_DEFAULTS = [
    ("zero", _("0 points")),
    ("full", _("Full points")),
]


def param_field_name(calculator: str, param: str) -> str:
    return f"param__{calculator}__{param}"


class IndicatorForm(forms.Form):
    """A category (kind, points or cap) or an item (method, calculator and its parameters as
    number inputs, or for a manual item the points it gets when nothing is entered)."""

    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("Letters, digits, - and _; unique within the scheme."),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    category_kind = forms.ChoiceField(label=_("Kind of category"), choices=CategoryKind.choices)
    max_points = forms.DecimalField(
        label=_("Points"), max_digits=7, decimal_places=2, min_value=Decimal(0)
    )
    method = forms.ChoiceField(label=_("Method"), choices=Method.choices)
    calculator = forms.ChoiceField(label=_("Calculator"), required=False)
    manual_default = forms.ChoiceField(
        label=_("When no points are entered"),
        choices=MANUAL_DEFAULTS,
        required=False,
        initial="zero",
    )
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=32767, initial=0)

    def __init__(self, *args, is_category: bool, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_category = is_category
        if is_category:
            for field in ("method", "calculator", "manual_default"):
                del self.fields[field]
            self.fields["max_points"].label = _("Points (bonus or deduction: the cap)")
            self.param_fields = []
        else:
            del self.fields["category_kind"]
            self.fields["max_points"].label = _("Points (deduction item: the cap)")
            self.fields["calculator"].choices = [("", "—")] + [
                (calc.code, f"{calc.label} ({calc.code})") for calc in CALCULATORS.values()
            ]
            self.param_fields = []
            current = instance.params if instance is not None else {}
            for calc in CALCULATORS.values():
                for param, default in calc.params.items():
                    name = param_field_name(calc.code, param)
                    value = default
                    if instance is not None and instance.calculator == calc.code:
                        value = current.get(param, default)
                    self.fields[name] = forms.DecimalField(
                        label=param,
                        max_digits=7,
                        decimal_places=2,
                        min_value=Decimal(0),
                        required=False,
                        initial=value,
                        help_text=_("Default %(value)s") % {"value": default},
                    )
                    self.param_fields.append((calc.code, name))
        if instance is not None:
            for field in ("code", "name", "description", "category_kind", "max_points"):
                if field in self.fields:
                    self.initial.setdefault(field, getattr(instance, field))
            self.initial.setdefault("position", instance.position)
            if not is_category:
                self.initial.setdefault("method", instance.method)
                self.initial.setdefault("calculator", instance.calculator)
                self.initial.setdefault(
                    "manual_default", (instance.params or {}).get("default", "zero")
                )

    def param_groups(self) -> list[dict]:
        """The parameter inputs grouped by calculator, for the template."""
        groups: dict[str, list] = {}
        for code, name in self.param_fields:
            groups.setdefault(code, []).append(self[name])
        return [
            {"code": code, "label": CALCULATORS[code].label, "fields": fields}
            for code, fields in groups.items()
        ]

    def clean(self):
        cleaned = super().clean()
        computed = not self.is_category and cleaned.get("method") == Method.COMPUTED
        if computed and not cleaned.get("calculator"):
            self.add_error("calculator", _("Choose a calculator."))
        return cleaned

    def data_for_service(self) -> dict:
        cleaned = self.cleaned_data
        data = {
            field: cleaned[field]
            for field in ("code", "name", "description", "max_points", "position")
        }
        if self.is_category:
            data["category_kind"] = cleaned["category_kind"]
            return data
        data["method"] = cleaned["method"]
        if cleaned["method"] == Method.MANUAL:
            data["calculator"] = ""
            data["params"] = {"default": cleaned.get("manual_default") or "zero"}
            return data
        code = cleaned["calculator"]
        data["calculator"] = code
        params = {}
        for param, default in CALCULATORS[code].params.items():
            value = cleaned.get(param_field_name(code, param))
            params[param] = json_number(value) if value is not None else default
        data["params"] = params
        return data


class ManualEntriesForm(forms.Form):
    """One row per active agency of the county: points and reason. Blank rows are left alone."""

    def __init__(self, *args, agencies, entries, max_points, **kwargs):
        super().__init__(*args, **kwargs)
        self.agencies = list(agencies)
        self.entries = entries
        self.row_errors: dict[int, list[str]] = {}  # set by the view from the service's refusals
        for agency in self.agencies:
            entry = entries.get(agency.pk)
            self.fields[f"points_{agency.pk}"] = forms.DecimalField(
                label=_("Points"),
                max_digits=7,
                decimal_places=2,
                required=False,
                initial=entry.points if entry else None,
                widget=forms.NumberInput(attrs={"step": "0.01", "min": 0, "max": max_points}),
            )
            self.fields[f"reason_{agency.pk}"] = forms.CharField(
                label=_("Reason"),
                max_length=2000,
                required=False,
                initial=entry.reason if entry else "",
            )

    def rows(self) -> list[dict]:
        return [
            {
                "agency": agency,
                "entry": self.entries.get(agency.pk),
                "points": self[f"points_{agency.pk}"],
                "reason": self[f"reason_{agency.pk}"],
                "errors": self.row_errors.get(agency.pk, []),
            }
            for agency in self.agencies
        ]

    def changed_rows(self) -> list[tuple]:
        """(agency, points, reason) of the rows that differ from what is stored."""
        changed = []
        for agency in self.agencies:
            points = self.cleaned_data.get(f"points_{agency.pk}")
            reason = (self.cleaned_data.get(f"reason_{agency.pk}") or "").strip()
            entry = self.entries.get(agency.pk)
            if entry is None and points is None and not reason:
                continue
            if entry is not None and points == entry.points and reason == entry.reason:
                continue
            changed.append((agency, points, reason))
        return changed
