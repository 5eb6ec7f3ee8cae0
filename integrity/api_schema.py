"""The OpenAPI schema (drf-spectacular): bilingual descriptions and the documented errors.

`AutoSchema` is the project's schema class (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]). On top of
drf-spectacular's own it

- adds the error responses drf-spectacular leaves out: 400 (every operation that takes a path,
  query or body parameter), 401 and 403 (every operation that needs a signed-in caller), 404
  (detail routes and anything with a path parameter) and 429 (throttling), all with the one
  error body of `integrity.api.exception_handler`, the named component `Error`;
- describes each standard action in Chinese and English after the viewset's own bilingual
  docstring, so every operation reads "what this resource is" then "what this call does".

`API_DESCRIPTION` is the schema's info description (SPECTACULAR_SETTINGS["DESCRIPTION"]).
"""

from __future__ import annotations

import re

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import translation
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent, get_doc, get_view_model
from rest_framework import serializers
from rest_framework.permissions import AllowAny

API_DESCRIPTION = """\
政务诚信平台的 REST 接口，供市级信用平台同步数据，也供已登录的网页用户使用。

**认证** 网页用户使用登录会话（写操作需带 `X-CSRFToken` 请求头）；机器客户端在请求头中携带
`Authorization: Api-Key <key>`。密钥由信用办管理员创建，只显示一次，可轮换、可吊销；
客户端只能读取其授权范围内的租户与资源。权限与租户范围同网页完全一致。

**版本** 版本号在路径中（`/api/v1/`）。同一版本内只做向后兼容的增加；不兼容的变化将发布为新版本。

**分页与增量同步** 集合按稳定顺序分页：响应中的 `next` 即下一页地址（带 `cursor` 参数）。
用 `updated_since` 只取某时刻后变更的行；删除与撤销通过各集合的 `tombstones` 接口获取，
客户端保存最后的游标，中断后从该游标继续，不重复也不遗漏。

**错误** 所有错误使用同一格式：`{"error": {"code": "…", "message": "…", "fields": {…}}}`；
`fields` 仅在 400 校验错误时出现，按字段列出错误信息。400：参数或请求体无效（包括含 NUL 字符
的输入、格式错误的 id、日期、游标或超出范围的数字）；401：未认证；403：已认证但无权执行该
操作；404：对象不存在或不在调用者范围内（两者不作区分）；429：请求过于频繁，按 `Retry-After`
等待后重试。

REST API of the government integrity platform, for the city credit platform's synchronisation
and for signed-in users of the web pages.

**Authentication** Web users use their login session (writes need the `X-CSRFToken` header);
machine clients send `Authorization: Api-Key <key>`. Keys are created by an office admin, shown
once, and can be rotated and revoked; a client reads only the tenants and resources it was
granted. Permissions and tenant scoping are exactly those of the web pages.

**Versioning** The version is in the path (`/api/v1/`). Within a version only
backward-compatible additions are made; incompatible changes come as a new version.

**Pagination and incremental sync** Collections are paginated in a stable order: `next` in a
response is the address of the next page (with its `cursor` parameter). `updated_since` returns
only rows changed after a moment; deletions and revocations are read from each collection's
`tombstones` endpoint. A client keeps its last cursor and resumes from it after an interruption,
without duplicates or gaps.

**Errors** Every error has the same body: `{"error": {"code": "…", "message": "…",
"fields": {…}}}`; `fields` appears only on 400 validation errors, with the messages per field.
400: invalid parameters or body (including input with NUL characters, a malformed id, date or
cursor, or an out-of-range number); 401: not authenticated; 403: authenticated but not allowed
to do this; 404: the object does not exist or is outside the caller's scope (the two are not
told apart); 429: too many requests, retry after `Retry-After` seconds.
"""

# What each standard action does, after the viewset's description of the resource.
ACTION_DESCRIPTIONS = {
    "list": (
        "分页列表，只含调用者有权读取的行（租户与单位范围同网页一致），可用下列查询参数筛选。",
        "Paginated list of the rows the caller may read (tenant and agency scoping as in the "
        "web pages), filtered by the query parameters below.",
    ),
    "retrieve": (
        "按 id 读取一行；不存在与不在调用者范围内同样返回 404。",
        'One row by id; "does not exist" and "not yours" both answer 404.',
    ),
    "create": (
        "新建一行，经由与网页相同的服务层（校验、审计、通知）；校验失败返回 400 与逐字段错误。",
        "Creates a row through the same service as the web pages (validation, audit, "
        "notifications); a validation failure answers 400 with the errors per field.",
    ),
    "update": (
        "整体更新一行（须提供全部可写字段），经由与网页相同的服务层。",
        "Replaces the writable fields of a row (all of them required), through the same "
        "service as the web pages.",
    ),
    "partial_update": (
        "部分更新一行（只改所提供的字段），经由与网页相同的服务层。",
        "Changes the given fields of a row (the others stay), through the same service as the "
        "web pages.",
    ),
    "destroy": (
        "删除一行；删除会在该集合的 tombstones 中留下记录。",
        "Deletes a row; the deletion is listed in the collection's tombstones.",
    ),
}

# Error responses: (status, Chinese, English).
ERROR_RESPONSES = {
    "400": (
        "请求无效：参数或请求体校验失败（含 NUL 字符、格式错误或超出范围的值）；"
        "`fields` 按字段列出错误。",
        "Invalid request: a parameter or the body failed validation (NUL characters, malformed "
        "or out-of-range values); `fields` lists the errors per field.",
    ),
    "401": (
        "未认证：未登录，或 API 密钥缺失、无效、已吊销。",
        "Not authenticated: no session, or the API key is missing, invalid or revoked.",
    ),
    "403": (
        "无权操作：调用者的角色或 API 客户端的授权不含此操作。",
        "Forbidden: the caller's role or the API client's scopes do not allow this operation.",
    ),
    "404": (
        "未找到：对象不存在，或不在调用者的租户与单位范围内（两者不作区分）。",
        "Not found: the object does not exist or is outside the caller's tenant and agency "
        "scope (the two are not told apart).",
    ),
    "429": (
        "请求过于频繁：请在 `Retry-After` 秒后重试。",
        "Too many requests: retry after `Retry-After` seconds.",
    ),
}

ERROR_DETAIL_SCHEMA = {
    "type": "object",
    "description": "错误详情 / Error details",
    "properties": {
        "code": {
            "type": "string",
            "description": (
                "机器可读的错误代码，如 invalid、not_authenticated、permission_denied、"
                "not_found、throttled / Machine-readable error code, e.g. invalid, "
                "not_authenticated, permission_denied, not_found, throttled"
            ),
        },
        "message": {
            "type": "string",
            "description": "可读的错误说明 / Human-readable message",
        },
        "fields": {
            "type": "object",
            "additionalProperties": {},
            "description": (
                "仅用于 400 校验错误：字段名（或查询参数名、non_field_errors）到错误信息列表 / "
                "Only on 400 validation errors: field name (or query parameter, "
                "non_field_errors) to its list of messages"
            ),
        },
    },
    "required": ["code", "message"],
}

ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "所有错误响应的统一格式 / The one body of every error response "
        '({"error": {"code", "message", "fields"?}})'
    ),
    "properties": {"error": {"$ref": "#/components/schemas/ErrorDetail"}},
    "required": ["error"],
}

_PATH_PARAMETER = re.compile(r"{\w+}")
_PUBLIC_NAME = re.compile(r"Public[A-Z]")


def bilingual(chinese: str, english: str) -> str:
    return f"{chinese} / {english}"


# How a range filter's label says which end it is.
LOOKUP_SUFFIXES = {
    "gte": ("（起）", ", from"),
    "gt": ("（之后）", ", after"),
    "lte": ("（止）", ", until"),
    "lt": ("（之前）", ", before"),
    "icontains": ("（包含）", ", contains"),
}


def bilingual_label(label, suffixes: tuple[str, str] | None = None) -> str:
    """A translatable label in Chinese and in English (its msgid)."""
    with translation.override("zh-hans"):
        chinese = str(label)
    with translation.override("en"):
        english = str(label)
    if suffixes:
        chinese, english = chinese + suffixes[0], english + suffixes[1]
    return chinese if chinese == english else bilingual(chinese, english)


# Named response components, one per error status.
ERROR_COMPONENTS = {
    "400": "BadRequest",
    "401": "NotAuthenticated",
    "403": "Forbidden",
    "404": "NotFound",
    "429": "TooManyRequests",
}


def _view_doc(view_class) -> str:
    """The view's own description of its resource. Base classes (integrity.api, a public
    API's base views) describe how to write a view, not the resource, so they are not asked."""
    doc = view_class.__dict__.get("__doc__")
    return get_doc(view_class) if doc else ""


def _model_field(field):
    """The model field behind a ModelSerializer's field, or None."""
    model = getattr(getattr(getattr(field, "parent", None), "Meta", None), "model", None)
    source = getattr(field, "source", None)
    if model is None or not source or "." in source or source == "*":
        return None
    try:
        return model._meta.get_field(source)
    except FieldDoesNotExist:
        return None


class AutoSchema(SpectacularAutoSchema):
    def get_description(self) -> str:
        action = getattr(self.view, "action", None)
        view_doc = _view_doc(self.view.__class__)
        if action in ACTION_DESCRIPTIONS:
            action_doc = bilingual(*ACTION_DESCRIPTIONS[action])
            return f"{view_doc}\n\n{action_doc}" if view_doc else action_doc
        # A custom action describes itself; otherwise the view's description stands, or at
        # least its summary.
        action_doc = get_doc(getattr(self.view, action, None)) if action else ""
        return action_doc or view_doc or self.get_summary() or ""

    def _get_filter_parameters(self):
        """Filter parameters without a description get their label (or the model field's
        verbose name) in Chinese and English."""
        parameters = super()._get_filter_parameters()
        labels = self._filter_labels() if parameters else {}
        for parameter in parameters:
            label = labels.get(parameter["name"])
            if label and not parameter.get("description"):
                parameter["description"] = label
            elif label and "enum" in parameter.get("schema", {}):
                # drf-spectacular lists the choices; say first what is being chosen.
                parameter["description"] = f"{label}\n\n{parameter['description']}"
        return parameters

    def _filter_labels(self) -> dict[str, str]:
        model = get_view_model(self.view)
        filterset_class = None
        for backend in self.get_filter_backends():
            if issubclass(backend, DjangoFilterBackend) and model is not None:
                filterset_class = backend().get_filterset_class(
                    self.view, model._default_manager.none()
                )
        if filterset_class is None:
            return {}
        labels = {}
        for name, filter_ in filterset_class.base_filters.items():
            label = filter_.extra.get("help_text") or filter_._label
            if label is None:
                try:
                    label = model._meta.get_field(filter_.field_name).verbose_name
                except FieldDoesNotExist:
                    continue
            labels[name] = bilingual_label(label, LOOKUP_SUFFIXES.get(filter_.lookup_expr))
        return labels

    def get_serializer_name(self, serializer, direction) -> str:
        """Serializers of the public (unauthenticated) API are components named Public…, so
        they never collide with the authenticated API's serializer of the same resource."""
        name = super().get_serializer_name(serializer, direction)
        if ".api.public" in type(serializer).__module__ and not _PUBLIC_NAME.match(name):
            name = f"Public{name}"
        return name

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        # DRF drops allow_blank from read-only fields (Meta.read_only_fields), so a read-only
        # choice that may be empty would be documented without "" and its answers would break
        # the schema. Put it back from the model field.
        if isinstance(field, serializers.ChoiceField) and field.read_only and not field.allow_blank:
            model_field = _model_field(field)
            if isinstance(model_field, models.CharField | models.TextField) and model_field.blank:
                field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _is_list_view(self, serializer=None) -> bool:
        # The tombstone feed of a collection is a paginated list like the collection itself.
        if getattr(self.view, "action", None) == "tombstones":
            return True
        return super()._is_list_view(serializer)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status in self._error_statuses():
            responses.setdefault(status, self._error_response(status))
        return responses

    def _error_statuses(self) -> list[str]:
        statuses = []
        has_path_parameter = bool(_PATH_PARAMETER.search(self.path))
        takes_input = (
            self.method in ("POST", "PUT", "PATCH")
            or has_path_parameter
            or bool(self._get_filter_parameters())
            or bool(self._get_pagination_parameters())
            or any(
                getattr(parameter, "location", "query") == "query"
                for parameter in self.get_override_parameters()
            )
        )
        if takes_input:
            statuses.append("400")
        if not self._is_public():
            statuses += ["401", "403"]
        if has_path_parameter:
            statuses.append("404")
        statuses.append("429")
        return statuses

    def _is_public(self) -> bool:
        permissions = self.view.get_permissions()
        return not permissions or all(isinstance(p, AllowAny) for p in permissions)

    def _error_response(self, status: str) -> dict:
        """A reference to the named response of this status (registered on first use)."""
        schema = self._error_schema()
        media_types = self.map_renderers("media_type") or ["application/json"]
        response = {
            "description": bilingual(*ERROR_RESPONSES[status]),
            "content": {media_type: {"schema": schema} for media_type in media_types},
        }
        if status == "429":
            response["headers"] = {
                "Retry-After": {
                    "schema": {"type": "integer"},
                    "description": "重试前应等待的秒数 / Seconds to wait before retrying",
                }
            }
        name = ERROR_COMPONENTS[status]
        if media_types != ["application/json"]:
            name += "".join(m.split("/")[-1].title().replace("+", "") for m in media_types)
        component = ResolvedComponent(
            name=name,
            type=ResolvedComponent.RESPONSE,
            object=f"integrity.api_schema.{name}",
            schema=response,
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _error_schema(self) -> dict:
        detail = ResolvedComponent(
            name="ErrorDetail",
            type=ResolvedComponent.SCHEMA,
            object="integrity.api_schema.ErrorDetail",
            schema=ERROR_DETAIL_SCHEMA,
        )
        error = ResolvedComponent(
            name="Error",
            type=ResolvedComponent.SCHEMA,
            object="integrity.api_schema.Error",
            schema=ERROR_SCHEMA,
        )
        self.registry.register_on_missing(detail)
        self.registry.register_on_missing(error)
        return error.ref


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """`Authorization: Api-Key <key>` of the city platform's API clients."""

    target_class = "integrity.api_auth.ApiKeyAuthentication"
    match_subclasses = True
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "请求头 `Authorization: Api-Key <key>` / Header `Authorization: Api-Key <key>`"
            ),
        }


def add_description(result, generator, request, public):
    """Postprocessing hook: the bilingual info description (kept here, not in settings, so the
    settings module stays free of imports)."""
    result["info"]["description"] = API_DESCRIPTION
    return result
