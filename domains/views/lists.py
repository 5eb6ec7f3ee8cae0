"""The joint reward and punishment measure list (联合奖惩措施清单, M14) and the four lists
(四张清单, M15): everyone of the county reads and exports them, the office maintains them."""

from __future__ import annotations

from django.db.models import Count
from django.urls import path, reverse
from django.utils.translation import gettext as _

from integrity.http import log_export, xlsx_response
from integrity.tenancy import visible_tenant_ids
from integrity.xlsx import write_workbook

from .. import services
from ..choices import FourListKind
from ..forms.lists import FourListEntryForm, FourListFilter, JointMeasureFilter, JointMeasureForm
from ..models import FourListEntry, JointMeasure
from .config import (
    LIST_PAGES,
    FilteredListView,
    ServiceDeleteView,
    ServiceFormView,
    reads_several_tenants,
)

# Joint reward and punishment measures -----------------------------------------------------


class JointMeasureListView(FilteredListView):
    permission = "lists.view"
    manage_permission = "lists.manage"
    model = JointMeasure
    filterset_class = JointMeasureFilter
    template_name = "domains/lists/joint_measure_list.html"
    section = LIST_PAGES
    section_page = "domains:joint-measure-list"


def joint_measure_columns(multi_tenant: bool) -> list[str]:
    """The export's header row (M14: measure → department → administrative matter → business
    section → responsible person)."""
    columns = [
        _("Kind"),
        _("Measure"),
        _("Department"),
        _("Administrative matter"),
        _("Business section"),
        _("Responsible person"),
        _("Basis"),
        _("Order"),
    ]
    return [_("Jurisdiction"), *columns] if multi_tenant else columns


class JointMeasureExportView(JointMeasureListView):
    def get(self, request, *args, **kwargs):
        multi = reads_several_tenants(request.user)
        rows = []
        for item in self.get_queryset():
            row = [
                item.get_direction_display(),
                item.measure,
                item.department,
                item.administrative_matter,
                item.business_section,
                item.responsible_person,
                item.basis,
                item.position,
            ]
            rows.append([item.tenant.name, *row] if multi else row)
        log_export(request, what="joint_measures", rows=len(rows))
        content = write_workbook(
            [(_("Joint reward and punishment measures"), joint_measure_columns(multi), rows)]
        )
        return xlsx_response(content, "joint-measures")


class JointMeasureFormView(ServiceFormView):
    permission = "lists.manage"
    model = JointMeasure
    form_class = JointMeasureForm
    template_name = "domains/lists/form.html"
    section = LIST_PAGES
    success_url_name = "domains:joint-measure-list"

    @property
    def title_new(self):
        return _("New joint reward or punishment measure")

    @property
    def title_edit(self):
        return _("Edit joint reward or punishment measure")

    def save(self, form, obj, tenant):
        return services.joint_measure_save(
            tenant=tenant, data=form.cleaned_data, actor=self.request.user, item=obj
        )


class JointMeasureDeleteView(ServiceDeleteView):
    permission = "lists.manage"
    model = JointMeasure
    success_url_name = "domains:joint-measure-list"

    def perform_delete(self, obj):
        services.list_item_delete(item=obj, actor=self.request.user)


# The four lists ---------------------------------------------------------------------------


class FourListView(FilteredListView):
    """One page, one tab per list (`?list_kind=…`; no tab chosen shows all four)."""

    permission = "lists.view"
    manage_permission = "lists.manage"
    model = FourListEntry
    filterset_class = FourListFilter
    template_name = "domains/lists/four_list.html"
    section = LIST_PAGES
    section_page = "domains:four-list-list"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        current = self.request.GET.get("list_kind", "")
        counts = self._counts()
        context["tabs"] = [
            {
                "value": None,
                "label": _("All four lists"),
                "count": sum(counts.values()),
                "active": current not in FourListKind.values,
            },
            *(
                {
                    "value": value,
                    "label": label,
                    "count": counts.get(value, 0),
                    "active": current == value,
                }
                for value, label in FourListKind.choices
            ),
        ]
        context["list_kind"] = current if current in FourListKind.values else ""
        context["other_filters"] = [f for f in self.filterset.form if f.name != "list_kind"]
        if context["list_kind"]:
            separator = "&" if context["new_query"] else "?"
            context["new_query"] += f"{separator}list_kind={context['list_kind']}"
        return context

    def _counts(self) -> dict[str, int]:
        """Rows per list under the other filters (search, jurisdiction)."""
        rows = _without_list_kind(self).qs.order_by().values("list_kind").annotate(n=Count("id"))
        return {row["list_kind"]: row["n"] for row in rows}


def _without_list_kind(view) -> FourListFilter:
    data = view.request.GET.copy()
    data.pop("list_kind", None)
    user = view.request.user
    return FourListFilter(
        data or None, queryset=view.base_queryset(), user=user, tenant_ids=visible_tenant_ids(user)
    )


def four_list_columns(multi_tenant: bool) -> list[str]:
    """The header row of each sheet of the four-lists workbook."""
    columns = [_("Order"), _("Title"), _("Description"), _("Basis")]
    return [_("Jurisdiction"), *columns] if multi_tenant else columns


class FourListExportView(FourListView):
    """One workbook, one sheet per list, each holding the rows that match the search and
    jurisdiction filters."""

    def get(self, request, *args, **kwargs):
        multi = reads_several_tenants(request.user)
        entries = list(_without_list_kind(self).qs)
        sheets = []
        for value, label in FourListKind.choices:
            rows = []
            for item in (e for e in entries if e.list_kind == value):
                row = [item.position, item.title, item.description, item.basis]
                rows.append([item.tenant.name, *row] if multi else row)
            sheets.append((str(label), four_list_columns(multi), rows))
        log_export(request, what="four_lists", rows=len(entries))
        return xlsx_response(write_workbook(sheets), "four-lists")


class FourListFormView(ServiceFormView):
    permission = "lists.manage"
    model = FourListEntry
    form_class = FourListEntryForm
    template_name = "domains/lists/form.html"
    section = LIST_PAGES
    success_url_name = "domains:four-list-list"

    @property
    def title_new(self):
        return _("New entry of the four lists")

    @property
    def title_edit(self):
        return _("Edit entry of the four lists")

    def make_form(self, obj, tenant, data=None):
        form = super().make_form(obj, tenant, data)
        kind = self.request.GET.get("list_kind", "")
        if obj is None and data is None and kind in FourListKind.values:
            form.initial["list_kind"] = kind
        return form

    def save(self, form, obj, tenant):
        return services.four_list_entry_save(
            tenant=tenant, data=form.cleaned_data, actor=self.request.user, item=obj
        )

    def success_url(self, saved):
        return f"{reverse(self.success_url_name)}?list_kind={saved.list_kind}"


class FourListDeleteView(ServiceDeleteView):
    permission = "lists.manage"
    model = FourListEntry

    def perform_delete(self, obj):
        services.list_item_delete(item=obj, actor=self.request.user)

    def success_url(self, obj):
        return f"{reverse('domains:four-list-list')}?list_kind={obj.list_kind}"


urlpatterns = [
    path("lists/joint-measures/", JointMeasureListView.as_view(), name="joint-measure-list"),
    path(
        "lists/joint-measures/export/",
        JointMeasureExportView.as_view(),
        name="joint-measure-export",
    ),
    path("lists/joint-measures/new/", JointMeasureFormView.as_view(), name="joint-measure-create"),
    path(
        "lists/joint-measures/<int:pk>/edit/",
        JointMeasureFormView.as_view(),
        name="joint-measure-update",
    ),
    path(
        "lists/joint-measures/<int:pk>/delete/",
        JointMeasureDeleteView.as_view(),
        name="joint-measure-delete",
    ),
    path("lists/four-lists/", FourListView.as_view(), name="four-list-list"),
    path("lists/four-lists/export/", FourListExportView.as_view(), name="four-list-export"),
    path("lists/four-lists/new/", FourListFormView.as_view(), name="four-list-create"),
    path("lists/four-lists/<int:pk>/edit/", FourListFormView.as_view(), name="four-list-update"),
    path(
        "lists/four-lists/<int:pk>/delete/", FourListDeleteView.as_view(), name="four-list-delete"
    ),
]
