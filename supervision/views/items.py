"""NPC deputies' suggestions and CPPCC proposals (人大代表建议、政协提案) and judicial
supervision (行政诉讼出庭应诉, 判决裁决履行, 司法建议, 失信被执行人), and the per-agency summary
of the supervision figures.

Each kind has a list with filters, pagination and an Excel export of the filtered rows, and
create / edit / delete for the office (supervision.manage). Agency clerks and leaders read their
own agency's items (tenant scoping does it); city viewers read the counties below their city.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.choices import RankingGroup, TenantLevel
from accounts.models import Agency, Tenant
from domains.views.config import (
    FilteredListView,
    ServiceDeleteView,
    ServiceFormView,
    section_tabs,
)
from integrity.http import log_export, xlsx_response
from integrity.permissions import PermissionRequiredMixin
from integrity.tenancy import reads_several_tenants
from integrity.xlsx import write_workbook

from .. import services
from ..forms import items as item_forms
from ..models import DebtorListing, Judgment, JudicialSuggestion, LitigationCase, Proposal
from ..selectors import agency_figures

# Tabs over the supervision pages: (label, url name, action needed).
SUPERVISION_PAGES = [
    (gettext_lazy("Suggestions and proposals"), "supervision:proposal-list", "supervision.view"),
    (gettext_lazy("Litigation cases"), "supervision:litigation-list", "supervision.view"),
    (gettext_lazy("Judgments and awards"), "supervision:judgment-list", "supervision.view"),
    (gettext_lazy("Judicial suggestions"), "supervision:suggestion-list", "supervision.view"),
    (gettext_lazy("Debtor listings"), "supervision:listing-list", "supervision.view"),
    (gettext_lazy("Per-agency summary"), "supervision:summary", "supervision.view"),
]


class Badge:
    """A status shown as a coloured badge on the page and as its text in the export."""

    def __init__(self, text, tone: str):
        self.text, self.tone = text, tone

    def __str__(self) -> str:
        return str(self.text)


def timeliness(done: date | None, due: date | None, today: date) -> Badge:
    """On time when done on or before the deadline; late when done after it; open (overdue
    once the deadline has passed) while not done."""
    if done is not None:
        if due is None or done <= due:
            return Badge(_("On time"), "success")
        return Badge(_("Late"), "danger")
    if due is not None and today > due:
        return Badge(_("Open, overdue"), "warning")
    return Badge(_("Open"), "secondary")


def yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _appearance(item, today) -> Badge:
    if not item.head_appearance_required:
        return Badge(_("Not required"), "secondary")
    if item.head_appeared:
        return Badge(_("Head appeared"), "success")
    return Badge(_("Head absent"), "danger")


def _listing_state(item, today) -> Badge:
    if item.removed_on is not None and item.removed_on <= today:
        return Badge(_("Removed"), "success")
    return Badge(_("Listed"), "danger")


URL_PARTS = {
    "proposal": "proposals",
    "litigation": "litigation-cases",
    "judgment": "judgments",
    "suggestion": "judicial-suggestions",
    "listing": "debtor-listings",
}


@dataclass
class ItemKind:
    slug: str
    model: type
    form_class: type
    filterset_class: type
    title: object
    title_new: object
    title_edit: object
    intro: object
    # (label, value(item, today)): the table's and the export's columns after the agency.
    columns: tuple

    @property
    def url_part(self) -> str:
        """The URL path and the export's file name."""
        return URL_PARTS[self.slug]


KINDS = [
    ItemKind(
        "proposal",
        Proposal,
        item_forms.ProposalForm,
        item_forms.ProposalFilter,
        gettext_lazy("NPC suggestions and CPPCC proposals"),
        gettext_lazy("New suggestion or proposal"),
        gettext_lazy("Edit suggestion or proposal"),
        gettext_lazy(
            "Suggestions of NPC deputies and proposals of CPPCC members handled by the "
            "agencies: replied within 3 months of the assignment, and the deputy's "
            "satisfaction with the reply."
        ),
        (
            (gettext_lazy("Kind"), lambda i, t: i.get_kind_display()),
            (gettext_lazy("Serial number"), lambda i, t: i.number),
            (gettext_lazy("Title"), lambda i, t: i.title),
            (gettext_lazy("Assigned on"), lambda i, t: i.assigned_on),
            (gettext_lazy("Reply due by"), lambda i, t: i.reply_deadline),
            (gettext_lazy("Replied on"), lambda i, t: i.replied_on),
            (gettext_lazy("Reply"), lambda i, t: timeliness(i.replied_on, i.reply_deadline, t)),
            (gettext_lazy("Satisfaction"), lambda i, t: i.get_satisfaction_display()),
            (gettext_lazy("Note"), lambda i, t: i.note),
        ),
    ),
    ItemKind(
        "litigation",
        LitigationCase,
        item_forms.LitigationCaseForm,
        item_forms.LitigationCaseFilter,
        gettext_lazy("Administrative litigation cases"),
        gettext_lazy("New litigation case"),
        gettext_lazy("Edit litigation case"),
        gettext_lazy(
            "Administrative cases against the agencies and whether the agency's head "
            "appeared in court (负责人出庭应诉)."
        ),
        (
            (gettext_lazy("Case number"), lambda i, t: i.case_number),
            (gettext_lazy("Court"), lambda i, t: i.court),
            (gettext_lazy("Cause of action"), lambda i, t: i.cause),
            (gettext_lazy("Hearing date"), lambda i, t: i.hearing_date),
            (gettext_lazy("Head's appearance"), _appearance),
            (gettext_lazy("Note"), lambda i, t: i.note),
        ),
    ),
    ItemKind(
        "judgment",
        Judgment,
        item_forms.JudgmentForm,
        item_forms.JudgmentFilter,
        gettext_lazy("Judgments and arbitral awards"),
        gettext_lazy("New judgment or arbitral award"),
        gettext_lazy("Edit judgment or arbitral award"),
        gettext_lazy(
            "Effective court judgments and arbitral awards the agencies must perform, "
            "and whether they performed them on time."
        ),
        (
            (gettext_lazy("Kind"), lambda i, t: i.get_kind_display()),
            (gettext_lazy("Case number"), lambda i, t: i.case_number),
            (gettext_lazy("Court or arbitration body"), lambda i, t: i.authority),
            (gettext_lazy("Effective on"), lambda i, t: i.effective_on),
            (gettext_lazy("To be performed by"), lambda i, t: i.due_on),
            (gettext_lazy("Performed on"), lambda i, t: i.executed_on),
            (gettext_lazy("Performance"), lambda i, t: timeliness(i.executed_on, i.due_on, t)),
            (gettext_lazy("Amount (yuan)"), lambda i, t: i.amount),
            (gettext_lazy("Note"), lambda i, t: i.note),
        ),
    ),
    ItemKind(
        "suggestion",
        JudicialSuggestion,
        item_forms.JudicialSuggestionForm,
        item_forms.JudicialSuggestionFilter,
        gettext_lazy("Judicial suggestions"),
        gettext_lazy("New judicial suggestion"),
        gettext_lazy("Edit judicial suggestion"),
        gettext_lazy(
            "Judicial suggestions (司法建议) to the agencies and whether they were "
            "answered by the due date."
        ),
        (
            (gettext_lazy("Serial number"), lambda i, t: i.number),
            (gettext_lazy("Court"), lambda i, t: i.court),
            (gettext_lazy("Received on"), lambda i, t: i.received_on),
            (gettext_lazy("Answer due by"), lambda i, t: i.due_on),
            (gettext_lazy("Answered on"), lambda i, t: i.answered_on),
            (gettext_lazy("Answer"), lambda i, t: timeliness(i.answered_on, i.due_on, t)),
            (gettext_lazy("Content"), lambda i, t: i.content),
        ),
    ),
    ItemKind(
        "listing",
        DebtorListing,
        item_forms.DebtorListingForm,
        item_forms.DebtorListingFilter,
        gettext_lazy("Dishonest judgment debtor listings"),
        gettext_lazy("New debtor listing"),
        gettext_lazy("Edit debtor listing"),
        gettext_lazy(
            "Agencies listed as dishonest judgment debtors (失信被执行人), with the "
            "listing and removal dates."
        ),
        (
            (gettext_lazy("Case number"), lambda i, t: i.case_number),
            (gettext_lazy("Court"), lambda i, t: i.court),
            (gettext_lazy("Listed on"), lambda i, t: i.listed_on),
            (gettext_lazy("Removed on"), lambda i, t: i.removed_on),
            (gettext_lazy("State"), _listing_state),
            (gettext_lazy("Amount (yuan)"), lambda i, t: i.amount),
        ),
    ),
]


def item_columns(kind: ItemKind, multi_tenant: bool) -> list:
    columns = [(gettext_lazy("Agency"), lambda i, t: i.agency.name), *kind.columns]
    if multi_tenant:
        columns.insert(0, (gettext_lazy("Jurisdiction"), lambda i, t: i.tenant.name))
    return columns


# Lists and exports ------------------------------------------------------------------------


class ItemListView(FilteredListView):
    permission = "supervision.view"
    manage_permission = "supervision.manage"
    template_name = "supervision/items/item_list.html"
    section = SUPERVISION_PAGES
    kind: ItemKind | None = None

    @property
    def model(self):
        return self.kind.model

    @property
    def filterset_class(self):
        return self.kind.filterset_class

    @property
    def section_page(self):
        return f"supervision:{self.kind.slug}-list"

    def base_queryset(self):
        return super().base_queryset().select_related("agency")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        columns = item_columns(self.kind, context["multi_tenant"])
        context.update(
            kind=self.kind,
            headers=[label for label, _value in columns],
            rows=[
                {"item": item, "cells": [value(item, today) for _label, value in columns]}
                for item in context["object_list"]
            ],
        )
        return context


class ItemExportView(ItemListView):
    def get(self, request, *args, **kwargs):
        today = timezone.localdate()
        columns = item_columns(self.kind, reads_several_tenants(request.user))
        rows = [
            [_cell(value(item, today)) for _label, value in columns] for item in self.get_queryset()
        ]
        log_export(request, what=self.kind.url_part, rows=len(rows))
        content = write_workbook(
            [(str(self.kind.title), [str(label) for label, _value in columns], rows)]
        )
        return xlsx_response(content, self.kind.url_part)


def _cell(value):
    if isinstance(value, Badge):
        return str(value)
    return value


# Create, edit, delete ---------------------------------------------------------------------


class ItemFormView(ServiceFormView):
    permission = "supervision.manage"
    template_name = "supervision/items/item_form.html"
    section = SUPERVISION_PAGES
    kind: ItemKind | None = None

    @property
    def model(self):
        return self.kind.model

    @property
    def form_class(self):
        return self.kind.form_class

    @property
    def success_url_name(self):
        return f"supervision:{self.kind.slug}-list"

    @property
    def title_new(self):
        return self.kind.title_new

    @property
    def title_edit(self):
        return self.kind.title_edit

    def tenant_for(self, obj):
        tenant = super().tenant_for(obj)
        # Items belong to a county's agencies; a city has none.
        if tenant is not None and tenant.level != TenantLevel.COUNTY:
            raise PermissionDenied
        return tenant

    def form_kwargs(self, tenant) -> dict:
        return {"tenant": tenant}

    def save(self, form, obj, tenant):
        return services.item_save(
            model=self.kind.model,
            tenant=tenant,
            data=form.cleaned_data,
            actor=self.request.user,
            item=obj,
        )


class ItemDeleteView(ServiceDeleteView):
    permission = "supervision.manage"
    kind: ItemKind | None = None

    @property
    def model(self):
        return self.kind.model

    @property
    def success_url_name(self):
        return f"supervision:{self.kind.slug}-list"

    def perform_delete(self, obj):
        services.item_delete(item=obj, actor=self.request.user)


def _kind_urls(kind: ItemKind) -> list:
    prefix, name = f"supervision/{kind.url_part}/", kind.slug
    return [
        path(prefix, ItemListView.as_view(kind=kind), name=f"{name}-list"),
        path(f"{prefix}export/", ItemExportView.as_view(kind=kind), name=f"{name}-export"),
        path(f"{prefix}new/", ItemFormView.as_view(kind=kind), name=f"{name}-create"),
        path(f"{prefix}<int:pk>/edit/", ItemFormView.as_view(kind=kind), name=f"{name}-update"),
        path(f"{prefix}<int:pk>/delete/", ItemDeleteView.as_view(kind=kind), name=f"{name}-delete"),
    ]


# Per-agency summary -----------------------------------------------------------------------

PERCENT = Decimal("0.1")


def rate(numerator: int, denominator: int) -> Decimal | None:
    """A percentage with one decimal; None (shown "—") when there is nothing to count."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(
        PERCENT, rounding=ROUND_HALF_UP
    )


# (label, code or (numerator, denominator) for a rate): the summary's columns in order, in
# groups (group label, columns).
SUMMARY_GROUPS = [
    (
        gettext_lazy("Complaints"),
        [
            (gettext_lazy("Received"), "complaints_received"),
            (gettext_lazy("Founded"), "complaints_founded"),
            (gettext_lazy("Reply due"), "complaints_due"),
            (gettext_lazy("Replied on time"), "complaints_replied_on_time"),
            (gettext_lazy("On time %"), ("complaints_replied_on_time", "complaints_due")),
        ],
    ),
    (
        gettext_lazy("Suggestions and proposals"),
        [
            (gettext_lazy("Reply due"), "proposals_due"),
            (gettext_lazy("Replied on time"), "proposals_replied_on_time"),
            (gettext_lazy("On time %"), ("proposals_replied_on_time", "proposals_due")),
            (gettext_lazy("Rated"), "proposals_rated"),
            (gettext_lazy("Satisfied"), "proposals_satisfied"),
            (gettext_lazy("Satisfied %"), ("proposals_satisfied", "proposals_rated")),
        ],
    ),
    (
        gettext_lazy("Court appearances"),
        [
            (gettext_lazy("Appearances required"), "court_appearances_required"),
            (gettext_lazy("Appearances made"), "court_appearances_made"),
            (gettext_lazy("Rate %"), ("court_appearances_made", "court_appearances_required")),
        ],
    ),
    (
        gettext_lazy("Judgments and awards"),
        [
            (gettext_lazy("Due"), "judgments_due"),
            (gettext_lazy("Performed on time"), "judgments_executed_on_time"),
            (gettext_lazy("On time %"), ("judgments_executed_on_time", "judgments_due")),
        ],
    ),
    (
        gettext_lazy("Judicial suggestions"),
        [
            (gettext_lazy("Due"), "suggestions_due"),
            (gettext_lazy("Answered on time"), "suggestions_answered_on_time"),
            (gettext_lazy("On time %"), ("suggestions_answered_on_time", "suggestions_due")),
        ],
    ),
    (
        gettext_lazy("Debtor listings"),
        [
            (gettext_lazy("Active at the end"), "debtor_listings_active"),
        ],
    ),
    (
        gettext_lazy("Third-party evaluation"),
        [
            (gettext_lazy("Score"), "third_party_score"),
        ],
    ),
]


def summary_values(figures: dict) -> list:
    values = []
    for _group, columns in SUMMARY_GROUPS:
        for _label, source in columns:
            values.append(
                rate(figures[source[0]], figures[source[1]])
                if isinstance(source, tuple)
                else figures[source]
            )
    return values


def summary_rows(user, tenant: Tenant, start: date, end: date) -> list[dict]:
    """One group per ranking group, one row per agency the user may read (an agency role sees
    its own row only), in a fixed number of queries. Deactivated agencies are listed only when
    they have figures in the period."""
    figures = agency_figures(tenant=tenant, start=start, end=end)
    agencies = Agency.objects.for_user(user).filter(tenant=tenant).order_by("ranking_group", "name")
    groups = {value: {"label": label, "rows": []} for value, label in RankingGroup.choices}
    for agency in agencies:
        values = figures.get(agency.pk)
        if values is None:
            continue
        if not agency.is_active and not any(values.values()):
            continue
        groups[agency.ranking_group]["rows"].append(
            {"agency": agency, "values": summary_values(values)}
        )
    return [group for group in groups.values() if group["rows"]]


class SummaryView(PermissionRequiredMixin, View):
    permission = "supervision.view"
    template_name = "supervision/summary.html"

    def counties(self):
        """The counties a user who reads several jurisdictions chooses from; None otherwise."""
        if not reads_several_tenants(self.request.user):
            return None
        return (
            Tenant.objects.for_user(self.request.user)
            .filter(level=TenantLevel.COUNTY)
            .order_by("division_code")
        )

    def period(self):
        counties = self.counties()
        form = item_forms.PeriodForm(self.request.GET, counties=counties)
        valid = form.is_valid()
        tenant = self.request.user.tenant if counties is None else None
        if valid and counties is not None:
            tenant = form.cleaned_data.get("tenant")
        if not valid:
            return form, None, None, None
        return form, tenant, form.cleaned_data["start"], form.cleaned_data["end"]

    def get(self, request):
        form, tenant, start, end = self.period()
        groups = summary_rows(request.user, tenant, start, end) if tenant else []
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "tenant": tenant,
                "start": start,
                "end": end,
                "column_groups": SUMMARY_GROUPS,
                "column_count": 1 + sum(len(columns) for _label, columns in SUMMARY_GROUPS),
                "groups": groups,
                "tabs_section": _tabs(request, "supervision:summary"),
                "can_export": tenant is not None,
            },
            status=200 if form.is_valid() else 400,
        )


def _tabs(request, active):
    return section_tabs(request, SUPERVISION_PAGES, active)


class SummaryExportView(SummaryView):
    def get(self, request):
        form, tenant, start, end = self.period()
        if tenant is None:
            return SummaryView.get(self, request)
        groups = summary_rows(request.user, tenant, start, end)
        headers = [_("Ranking group"), _("Agency")] + [
            f"{group_label} · {label}"
            for group_label, columns in SUMMARY_GROUPS
            for label, _source in columns
        ]
        rows = [
            [str(group["label"]), row["agency"].name, *row["values"]]
            for group in groups
            for row in group["rows"]
        ]
        log_export(request, what="supervision_summary", rows=len(rows))
        title = _("Summary %(start)s to %(end)s") % {"start": start, "end": end}
        return xlsx_response(write_workbook([(title, headers, rows)]), "supervision-summary")


urlpatterns = [
    *[pattern for kind in KINDS for pattern in _kind_urls(kind)],
    path("supervision/summary/", SummaryView.as_view(), name="summary"),
    path("supervision/summary/export/", SummaryExportView.as_view(), name="summary-export"),
]
