"""The public credit page's rankings (no login): the county's latest published ranking per
group with its charts, older rankings, ranking notices (通报), and each agency's public profile.

Only `Publication` rows are read (through `scoring.public_selectors`), never a run. Pages are
cached per county under the version number that publishing and withdrawing move
(`services.PUBLIC_CACHE_VERSION`), so a change shows at once while repeated visits cost one
query. The agency profile caches its score history the same way, but reads the agency's
records and commitments on every visit: their publicity ends by date and by the office's
decisions, which do not move the version.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View

from accounts.models import Agency
from domains import selectors as domain_selectors
from domains.views.public import CountyMixin, public_counties
from integrity import rls

from .. import page_cache
from .. import public_selectors as selectors
from ..choices import PublicationStatus
from ..services import PUBLIC_CACHE_VERSION

PAGE_TIMEOUT = 600  # seconds; the version number invalidates earlier, this bounds the memory
PROFILE_RECORD_LIMIT = 100


def public_version(tenant) -> int:
    """The county's cache version. A missing counter (first visit, or evicted) starts from a
    number never used before, so a page cached under an earlier counter is never served again;
    `services.bump_public_cache` increments it from there."""
    key = PUBLIC_CACHE_VERSION.format(tenant=tenant.pk)
    version = cache.get(key)
    if version is None:
        cache.add(key, time.time_ns(), None)
        version = cache.get(key, 1)
    return version


def cached(tenant, name: str, parts: tuple, build):
    """`build()`'s value, cached per county, version, language and page. The tenant's
    `updated_at` is part of the key: a renamed county (or a recreated database reusing ids)
    never gets another's page."""
    key = ":".join(
        [
            "scoring:public",
            str(tenant.pk),
            f"{tenant.updated_at.timestamp():.6f}",
            str(public_version(tenant)),
            get_language() or "",
            name,
            *(str(p) for p in parts),
        ]
    )
    value = cache.get(key)
    if value is None:
        value = build()
        timeout = int(getattr(settings, "PUBLIC_RANKINGS_CACHE_SECONDS", PAGE_TIMEOUT))
        cache.set(key, value, timeout)
    return value


def _local_key(tenant_pk, updated_at, version, name: str, kwargs: dict) -> tuple:
    parts = tuple(str(v) for k, v in sorted(kwargs.items()) if k != "division_code")
    return (tenant_pk, updated_at, version, get_language() or "", name, *parts)


class CachedPage(CountyMixin, View):
    """GET only: the rendered page comes from the cache (the URL's arguments, never its query
    string, are in the key, so made-up parameters cannot fill the cache)."""

    template_name: str
    page_name: str

    def dispatch(self, request, *args, **kwargs):
        if request.method == "GET":
            slot = (get_language() or "", self.page_name, *sorted(kwargs.items()))
            page = page_cache.get(slot)
            if page is not None and page_cache.fresh(page):
                request.public_tenant_id = page.key[0]
                return HttpResponse(page.body)
            with rls.nothing():  # the tenant registry has no row policy (see CountyMixin)
                county = (
                    public_counties()
                    .filter(division_code=kwargs["division_code"])
                    .values_list("pk", "updated_at")
                    .first()
                )
            if county is not None and page is not None:
                request.public_tenant_id = county[0]
                version = cache.get(PUBLIC_CACHE_VERSION.format(tenant=county[0]))
                if version is not None and page.key == _local_key(
                    *county, version, self.page_name, kwargs
                ):
                    page_cache.checked(page)
                    return HttpResponse(page.body)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, **kwargs):
        parts = tuple(v for k, v in sorted(kwargs.items()) if k != "division_code")
        version = public_version(self.tenant)
        html = cached(
            self.tenant,
            self.page_name,
            parts,
            lambda: render_to_string(
                self.template_name, {"tenant": self.tenant, **self.context()}, request=request
            ),
        )
        slot = (get_language() or "", self.page_name, *sorted(kwargs.items()))
        key = _local_key(self.tenant.pk, self.tenant.updated_at, version, self.page_name, kwargs)
        page_cache.put(slot, key, html)
        return HttpResponse(html)

    def context(self) -> dict:
        return {}


class RankingsView(CachedPage):
    template_name = "scoring/public/rankings.html"
    page_name = "rankings"

    def context(self) -> dict:
        latest = selectors.latest(self.tenant)
        trend = selectors.trend(self.tenant)
        return {
            "ranking": selectors.ranking(latest) if latest else None,
            "notice": selectors.notice_text(latest) if latest else "",
            "withdrawals": [
                {"publication": p, "reason": selectors.withdrawal_reason(p)}
                for p in selectors.withdrawals_after(
                    self.tenant, latest.period_end if latest else None
                )
            ],
            "trend": trend,
            "earlier": [row["publication"] for row in reversed(trend["rows"])][1:],
        }


class RankingDetailView(CachedPage):
    """One publication. A withdrawn one shows that it was withdrawn and why, never its
    rankings; another county's is a 404."""

    template_name = "scoring/public/ranking_detail.html"
    page_name = "ranking"

    def resolve(self, *, pk, **kwargs) -> None:
        self.publication = get_object_or_404(selectors.listed(self.tenant), pk=pk)

    def context(self) -> dict:
        publication = self.publication
        withdrawn = publication.status != PublicationStatus.PUBLISHED
        return {
            "publication": publication,
            "withdrawn": withdrawn,
            "reason": selectors.withdrawal_reason(publication) if withdrawn else "",
            "ranking": None if withdrawn else selectors.ranking(publication),
            "notice": "" if withdrawn else selectors.notice_text(publication),
        }


class NoticesView(CachedPage):
    template_name = "scoring/public/notices.html"
    page_name = "notices"

    def context(self) -> dict:
        return {
            "rows": [
                {
                    "publication": p,
                    "withdrawn": p.status != PublicationStatus.PUBLISHED,
                    "notice": selectors.notice_text(p),
                    "reason": selectors.withdrawal_reason(p),
                }
                for p in selectors.listed(self.tenant)
            ]
        }


class AgencyProfileView(CountyMixin, View):
    """An agency's public profile: published score history, public failure-of-trust records
    (masked by `public_view`), public commitments, and where to complain or object.

    An agency of the county is shown while it is active, and afterwards as long as a published
    ranking lists it; otherwise (or for another county's agency) 404."""

    template_name = "scoring/public/agency_profile.html"

    def resolve(self, *, pk, **kwargs) -> None:
        self.agency = get_object_or_404(Agency.objects.for_tenant(self.tenant), pk=pk)
        self.history = cached(
            self.tenant,
            "agency-history",
            (self.agency.pk,),
            lambda: selectors.agency_history(
                self.tenant, self.agency.pk, series_name=_("Total points")
            ),
        )
        if not self.agency.is_active and not self.history["rows"]:
            raise Http404

    def get(self, request, division_code, pk):
        agency = self.agency
        records = domain_selectors.public_records(tenant=self.tenant).filter(agency=agency)
        records = records.order_by("-decision_date", "-id")[:PROFILE_RECORD_LIMIT]
        commitments = (
            domain_selectors.public_commitments(tenant=self.tenant)
            .filter(agency=agency)
            .order_by("-promised_date", "-id")
        )
        context = {
            "tenant": self.tenant,
            "agency": agency,
            "history": self.history,
            "records": [domain_selectors.public_view(r) for r in records],
            "record_limit": PROFILE_RECORD_LIMIT,
            "commitments": list(commitments),
        }
        return HttpResponse(render_to_string(self.template_name, context, request=request))


urlpatterns = [
    path("<str:division_code>/rankings/", RankingsView.as_view(), name="rankings"),
    path(
        "<str:division_code>/rankings/<int:pk>/",
        RankingDetailView.as_view(),
        name="ranking-detail",
    ),
    path(
        "<str:division_code>/ranking-notices/",
        NoticesView.as_view(),
        name="notices",
    ),
    path(
        "<str:division_code>/agencies/<int:pk>/",
        AgencyProfileView.as_view(),
        name="agency-profile",
    ),
]
