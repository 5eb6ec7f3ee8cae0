"""Public read API (公开接口, no account): a county's public failure-of-trust records, case
notices and credit commitments, under /api/v1/public/<division code>/…

What is public and how it is masked is decided by the same selectors as the public pages
(`selectors.public_records`, `public_view`, `published_notices`, `public_notice_text`,
`public_commitments`, `views.public.public_counties`): the API shows exactly what the pages
show. GET only, no authentication (a session or key is ignored), throttled per client address
(`PublicRateThrottle`, scope "public"), and cached: a whole response is stored under the county's
version number, which every write that may change the public side moves
(`services.bump_public_cache`), and under today's date, since publicity also begins and ends by
date. A county is resolved from its division code through the cache too, so a repeated request
costs no database query.

Collections are paginated like every API collection (`integrity.api_sync.SyncCursorPagination`:
change order, `cursor`, `updated_since`). The pieces the rankings API (`scoring.api.public`)
shares live here: the throttle, the cached base views, the record serializer.
"""

from __future__ import annotations

import hashlib
import json
import re
import time

import django_filters
from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import Tenant
from integrity import rls
from integrity.api_sync import SyncCursorPagination
from integrity.net import client_ip

from .. import selectors
from ..choices import Severity
from ..forms.public import PublicNoticeFilter, PublicRecordFilter
from ..models import TrustRecord
from ..services import PUBLIC_CACHE_VERSION
from ..views.public import public_counties

TAG = "public"
DEFAULT_RATE = "120/min"
DEFAULT_CACHE_SECONDS = 300
COUNTY_CACHE_SECONDS = 60  # how long a deactivated county may still answer


# Throttling -------------------------------------------------------------------------------------


class PublicRateThrottle(SimpleRateThrottle):
    """Per client address (`integrity.net.client_ip`: X-Forwarded-For only from trusted proxies).
    The rate is `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["public"]`, read on every request."""

    scope = "public"

    def get_rate(self) -> str:
        return (api_settings.DEFAULT_THROTTLE_RATES or {}).get(self.scope) or DEFAULT_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}


def throttle_key(address: str) -> str:
    """The throttle's cache key for a client address (tests clear it)."""
    return PublicRateThrottle.cache_format % {"scope": PublicRateThrottle.scope, "ident": address}


# Cache ------------------------------------------------------------------------------------------


def cache_version(key: str) -> int:
    """A version counter; a missing one (first use, or evicted) starts from a number never used
    before, so nothing cached under an earlier counter is served again."""
    version = cache.get(key)
    if version is None:
        cache.add(key, time.time_ns(), None)
        version = cache.get(key, 1)
    return version


def records_version(tenant_id: int) -> int:
    return cache_version(PUBLIC_CACHE_VERSION.format(tenant=tenant_id))


def cache_seconds() -> int:
    return int(getattr(settings, "PUBLIC_API_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))


DIVISION_CODE_RE = re.compile(r"[0-9]{6}")


def counties_cache_key(language: str) -> str:
    return f"public-api:counties:{language}"


def county_cache_key(division_code: str) -> str:
    return f"public-api:county:{division_code}"


def county_or_404(division_code: str) -> Tenant:
    """The active county with this code (a city, an inactive county or anything else: 404),
    from the cache for a minute. The Tenant returned carries only pk, name, division code and
    updated_at."""
    if not DIVISION_CODE_RE.fullmatch(division_code or ""):
        raise exceptions.NotFound()
    key = county_cache_key(division_code)
    found = cache.get(key)
    if found is None:
        with rls.nothing():  # the tenant registry has no row policy (see PublicAPIView.initial)
            found = (
                public_counties()
                .filter(division_code=division_code)
                .values("pk", "name", "division_code", "updated_at")
                .first()
            ) or {}
        cache.set(key, found, COUNTY_CACHE_SECONDS)
    if not found:
        raise exceptions.NotFound()
    return Tenant(**found)


# Schema pieces ----------------------------------------------------------------------------------

ID_TYPE = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}

DIVISION_CODE_PARAMETER = OpenApiParameter(
    "division_code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^[0-9]{6}$",
    description="县级行政区划代码 / The county's administrative division code (6 digits).",
)


# Base view --------------------------------------------------------------------------------------


class PublicAPIView(GenericAPIView):
    """GET (and HEAD) only, no authentication, throttled. The county and the object the URL
    names are resolved before the method is looked at (as on the public pages): whatever the
    method, something not public is a 404. `build()` returns the response data, cached under
    `cache_parts()` (None: not cached) and the `versions()` of what it reads."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (PublicRateThrottle,)
    filter_backends = ()
    pagination_class = None
    http_method_names = ["get", "head"]
    cache_name = ""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.county = county_or_404(kwargs["division_code"])
        # The row-level security scope of this public request is this county (integrity.rls):
        # known now, it needs no lookup of its own.
        request._request.public_tenant_id = self.county.pk
        self.payload = self.cached(self.cache_parts())

    def get(self, request, *args, **kwargs):
        return Response(self.present(self.payload))

    def versions(self) -> tuple:
        return (records_version(self.county.pk),)

    def cache_parts(self) -> tuple | None:
        return ()

    def build(self):
        raise NotImplementedError

    def present(self, data):
        """The response from the (cached) data: links are built per request."""
        return data

    def cached(self, parts: tuple | None):
        if parts is None:
            return self.build()
        county = self.county
        raw = json.dumps(
            [
                self.cache_name,
                county.pk,
                county.updated_at,
                self.versions(),
                get_language() or "",
                timezone.localdate(),
                self.kwargs,
                parts,
            ],
            cls=DjangoJSONEncoder,
            sort_keys=True,
        )
        key = "public-api:" + hashlib.sha256(raw.encode()).hexdigest()
        data = cache.get(key)
        if data is None:
            data = self.build()
            cache.set(key, data, cache_seconds())
        return data


class PublicListView(PublicAPIView):
    """A collection read like every API collection (`integrity.api_sync.SyncCursorPagination`:
    (sync_txid, id) order, `cursor`, `updated_since`, `page_size`), filtered by
    `filterset_class`, validated before the cache is looked at (invalid filters answer 400).
    First pages are cached; a page after a cursor or since a time, or a free-text search, is
    read from the database (there are too many of those for a cache to help)."""

    pagination_class = SyncCursorPagination
    filterset_class: type[django_filters.FilterSet] | None = None
    uncached_filters: tuple[str, ...] = ("q",)

    def filterset_kwargs(self) -> dict:
        return {}

    def cache_parts(self) -> tuple | None:
        self.filterset = None
        values = {}
        if self.filterset_class is not None:
            self.filterset = self.filterset_class(
                self.request.query_params,
                queryset=self.base_queryset(),
                **self.filterset_kwargs(),
            )
            if not self.filterset.is_valid():
                raise translate_validation(self.filterset.errors)
            values = {
                name: str(value)
                for name, value in self.filterset.form.cleaned_data.items()
                if value not in (None, "")
            }
        paginator = self.paginator
        params = self.request.query_params
        if any(name in values for name in self.uncached_filters) or any(
            params.get(name) is not None
            for name in (paginator.cursor_query_param, paginator.since_query_param)
        ):
            return None
        return (sorted(values.items()), params.get(paginator.page_size_query_param))

    def base_queryset(self) -> QuerySet:
        raise NotImplementedError

    def item(self, row) -> dict:
        raise NotImplementedError

    def build(self):
        queryset = self.filterset.qs if self.filterset is not None else self.base_queryset()
        rows = self.paginator.paginate_queryset(queryset, self.request, view=self)
        return {
            "results": [self.item(row) for row in rows],
            "position": self.paginator.position,
            "has_more": self.paginator.has_more,
        }

    def get(self, request, *args, **kwargs):
        # Built now or taken from the cache: the links are this request's.
        payload = self.payload
        return self.paginator.page_response(
            request, payload["results"], payload["position"], payload["has_more"]
        )


# Serializers ------------------------------------------------------------------------------------


class PublicRecordSerializer(serializers.Serializer):
    """`selectors.PublicRecord`: what the public may see of a record (natural persons masked)."""

    public_id = serializers.UUIDField(help_text="记录公开编号 / The record's public id.")
    county = serializers.CharField(source="tenant", help_text="县 / The county.")
    subject_type = serializers.CharField(help_text="主体类型 / Subject type.")
    subject_name = serializers.CharField(
        help_text="失信主体（自然人已脱敏）/ The failing subject (natural persons masked)."
    )
    subject_credit_code = serializers.CharField(
        help_text="统一社会信用代码（自然人为空）/ Credit code (empty for natural persons)."
    )
    domain = serializers.CharField(help_text="重点领域 / Key domain.")
    source = serializers.CharField(help_text="来源 / Source.")
    severity = serializers.CharField(help_text="失信程度 / Severity.")
    facts = serializers.CharField(
        help_text="失信事实（姓名、身份证号、手机号已脱敏）/ Facts (names, ID and mobile masked)."
    )
    decision_number = serializers.CharField(help_text="决定文书号 / Decision document number.")
    deciding_authority = serializers.CharField(help_text="决定机关 / Deciding authority.")
    decision_date = serializers.DateField(help_text="决定日期 / Decision date.")
    publicity_max_end = serializers.DateField(
        allow_null=True, help_text="公示截止 / Published until."
    )
    repair_from = serializers.DateField(
        allow_null=True, help_text="可申请信用修复日期 / Credit repair possible from."
    )
    under_objection = serializers.BooleanField(help_text="异议审查中 / Under objection.")


def public_record_data(view: selectors.PublicRecord) -> dict:
    return dict(PublicRecordSerializer(view).data)


def record_payload(record: TrustRecord) -> dict:
    """The record's public representation, as the API shows it, with its county's division
    code: the payload of the record.published / record.unpublished webhook events."""
    row = selectors.with_objection_flag(
        TrustRecord.objects.filter(pk=record.pk).select_related("tenant", "agency", "domain")
    ).get()
    return {
        "division_code": row.tenant.division_code,
        **public_record_data(selectors.public_view(row)),
    }


class PublicNoticeSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    title = serializers.SerializerMethodField(
        help_text="标题（所涉个人姓名已脱敏）/ Title (persons cited masked)."
    )
    document_number = serializers.CharField(help_text="文号 / Document number.")

    def get_title(self, notice) -> str:
        return selectors.public_notice_title(notice)

    published_at = serializers.DateTimeField(help_text="发布时间 / Published at.")


class PublicNoticeDetailSerializer(PublicNoticeSerializer):
    text = serializers.CharField(
        help_text="通报正文（个人信息已脱敏）/ The notice's text (personal data masked)."
    )
    records = PublicRecordSerializer(
        many=True,
        help_text="仍在公示期内的记录 / The notice's records still in their publicity period.",
    )


class PublicCommitmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agency_id = serializers.IntegerField(help_text="承诺单位 / The agency (id).")
    agency = serializers.CharField(source="agency.name", help_text="承诺单位 / The agency.")
    title = serializers.CharField(help_text="承诺事项 / Commitment.")
    category = serializers.CharField(source="get_category_display", help_text="类别 / Category.")
    promised_date = serializers.DateField(help_text="承诺期限 / Promised by.")
    status = serializers.CharField(source="get_status_display", help_text="状态 / Status.")


class PublicCountySerializer(serializers.Serializer):
    division_code = serializers.CharField()
    name = serializers.CharField()
    city_division_code = serializers.CharField(source="parent.division_code", allow_null=True)
    city = serializers.CharField(source="parent.name", allow_null=True)


def public_commitment_data(commitment) -> dict:
    return dict(PublicCommitmentSerializer(commitment).data)


# Filters ----------------------------------------------------------------------------------------


class RecordFilter(PublicRecordFilter):
    """The public page's filters (the same search, which never matches natural persons), with the
    domain by id and the decision dates."""

    domain = django_filters.NumberFilter(field_name="domain_id", min_value=1, max_value=2**31 - 1)
    decided_since = django_filters.DateFilter(field_name="decision_date", lookup_expr="gte")
    decided_until = django_filters.DateFilter(field_name="decision_date", lookup_expr="lte")

    class Meta(PublicRecordFilter.Meta):
        fields = ["q", "domain", "severity", "decided_since", "decided_until"]


class CommitmentFilter(django_filters.FilterSet):
    agency = django_filters.NumberFilter(field_name="agency_id", min_value=1, max_value=2**31 - 1)


SEARCH = OpenApiParameter(
    "q",
    {"type": "string", "maxLength": 50},
    description=(
        "搜索主体（自然人除外）、文书号或机关 / Search the subject (never natural persons), "
        "document number or authority."
    ),
)
RECORD_PARAMETERS = [
    DIVISION_CODE_PARAMETER,
    SEARCH,
    OpenApiParameter("domain", ID_TYPE, description="重点领域 id / Key domain id."),
    OpenApiParameter(
        "severity", OpenApiTypes.STR, enum=Severity.values, description="失信程度 / Severity."
    ),
    OpenApiParameter(
        "decided_since", OpenApiTypes.DATE, description="决定日期起 / Decided on or after."
    ),
    OpenApiParameter(
        "decided_until", OpenApiTypes.DATE, description="决定日期止 / Decided on or before."
    ),
]


# Views ------------------------------------------------------------------------------------------


@extend_schema(
    tags=[TAG],
    summary="公开县列表 / Counties with a public credit page",
    description="无需登录 / No authentication.",
    responses=PublicCountySerializer(many=True),
)
class CountyListView(PublicAPIView):
    cache_name = "counties"

    def initial(self, request, *args, **kwargs):
        super(PublicAPIView, self).initial(request, *args, **kwargs)
        key = counties_cache_key(get_language() or "")
        data = cache.get(key)
        if data is None:
            counties = (
                public_counties()
                .select_related("parent")
                .order_by("parent__division_code", "division_code")
            )
            data = [dict(PublicCountySerializer(c).data) for c in counties]
            cache.set(key, data, COUNTY_CACHE_SECONDS)
        self.payload = data


@extend_schema(
    tags=[TAG],
    summary="公开失信记录 / Public failure-of-trust records",
    description=(
        "公示期内的政务失信记录，自然人姓名、身份证号、手机号脱敏，与公示页面一致。"
        " / Records in their publicity period, masked exactly like the public pages."
    ),
    parameters=RECORD_PARAMETERS,
    responses=PublicRecordSerializer(many=True),
)
class RecordListView(PublicListView):
    cache_name = "records"
    filterset_class = RecordFilter

    def filterset_kwargs(self) -> dict:
        return {"tenant": self.county}

    def base_queryset(self) -> QuerySet:
        return selectors.public_records(tenant=self.county)

    def item(self, row) -> dict:
        return public_record_data(selectors.public_view(row))


@extend_schema(
    tags=[TAG],
    summary="公开失信记录详情 / A public failure-of-trust record",
    description="未公示或已结束公示的记录返回 404 / 404 unless the record is public.",
    parameters=[DIVISION_CODE_PARAMETER],
    responses=PublicRecordSerializer,
)
class RecordDetailView(PublicAPIView):
    cache_name = "record"

    def build(self):
        record = (
            selectors.public_records(tenant=self.county)
            .filter(public_id=self.kwargs["public_id"])
            .first()
        )
        if record is None:
            raise exceptions.NotFound()
        return public_record_data(selectors.public_view(record))


@extend_schema(
    tags=[TAG],
    summary="失信案件通报 / Published case notices",
    parameters=[
        DIVISION_CODE_PARAMETER,
        OpenApiParameter(
            "q",
            {"type": "string", "maxLength": 50},
            description="搜索标题或文号 / Search title or number.",
        ),
        OpenApiParameter(
            "year",
            {"type": "integer", "minimum": 2000, "maximum": 2100},
            description="发布年份 / Year published.",
        ),
    ],
    responses=PublicNoticeSerializer(many=True),
)
class NoticeListView(PublicListView):
    cache_name = "notices"
    filterset_class = PublicNoticeFilter

    def base_queryset(self) -> QuerySet:
        # The records are prefetched for the masking of the titles.
        return selectors.published_notices(tenant=self.county)

    def item(self, row) -> dict:
        return dict(PublicNoticeSerializer(row).data)


@extend_schema(
    tags=[TAG],
    summary="失信案件通报详情 / A published case notice",
    parameters=[DIVISION_CODE_PARAMETER],
    responses=PublicNoticeDetailSerializer,
)
class NoticeDetailView(PublicAPIView):
    cache_name = "notice"

    def build(self):
        notice = (
            selectors.published_notices(tenant=self.county)
            .filter(public_id=self.kwargs["public_id"])
            .first()
        )
        if notice is None:
            raise exceptions.NotFound()
        cited = selectors.public_records(tenant=self.county).filter(notices=notice)
        return {
            **PublicNoticeSerializer(notice).data,
            "text": selectors.public_notice_text(notice),
            "records": [public_record_data(selectors.public_view(r)) for r in cited],
        }


@extend_schema(
    tags=[TAG],
    summary="公开信用承诺 / Public credit commitments",
    description="各单位公开的信用承诺（单位公开页面所列）/ The agencies' public commitments.",
    parameters=[
        DIVISION_CODE_PARAMETER,
        OpenApiParameter("agency", ID_TYPE, description="单位 id / Agency id."),
    ],
    responses=PublicCommitmentSerializer(many=True),
)
class CommitmentListView(PublicListView):
    cache_name = "commitments"
    filterset_class = CommitmentFilter

    def base_queryset(self) -> QuerySet:
        return selectors.public_commitments(tenant=self.county)

    def item(self, row) -> dict:
        return public_commitment_data(row)


urlpatterns = [
    path("counties/", CountyListView.as_view(), name="public-county-list"),
    path("<str:division_code>/records/", RecordListView.as_view(), name="public-record-list"),
    path(
        "<str:division_code>/records/<uuid:public_id>/",
        RecordDetailView.as_view(),
        name="public-record-detail",
    ),
    path("<str:division_code>/notices/", NoticeListView.as_view(), name="public-notice-list"),
    path(
        "<str:division_code>/notices/<uuid:public_id>/",
        NoticeDetailView.as_view(),
        name="public-notice-detail",
    ),
    path(
        "<str:division_code>/commitments/",
        CommitmentListView.as_view(),
        name="public-commitment-list",
    ),
]
