"""Bad input answers 400, never 500.

- `RejectNulMiddleware`: a NUL character (raw or percent-encoded as %00) in the path, in a query
  parameter's name or value, or in a posted form field answers 400 before any view runs, so
  nothing is written. PostgreSQL cannot store NUL in text, and a NUL reaching a query raises
  instead of matching nothing. Under /api/ the answer has the API's one error body.
- `JSONParser`, `FormParser`, `MultiPartParser`: the API's parsers, which refuse a body with NUL
  in any key or value (also inside JSON objects stored as they are, which no serializer field
  checks) with a 400 naming the field.
- `FilterBackend`: django-filter's backend, stricter: every number filter is bounded (a number
  such as 1E+999999999 answers 400 instead of making the database adapter build a gigantic
  integer), a time PostgreSQL cannot take (UTC offset of 16 hours or more, a UTC time before
  year 1) answers 400 instead of a database error, and a boolean it does not understand answers
  400 instead of being ignored.
- `page_not_found`: the project's 404 handler; under /api/ it answers with the error body
  instead of the HTML page (a path no API route matches).
"""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, parsers

NUL = "\x00"
NUL_MESSAGE = _("Null characters are not allowed.")
API_PREFIX = "/api/"
BOOLEAN_MESSAGE = _("Must be a valid boolean.")
DATETIME_MESSAGE = _("Enter a valid date/time.")
BOOLEAN_VALUES = {"", "true", "false", "1", "0"}
# Number filters accept what a bigint column holds, nothing beyond.
NUMBER_LIMIT = 2**63 - 1


def contains_nul(value) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(item) for item in value)
    return False


def _field_name(name: str) -> str:
    cleaned = name.replace(NUL, "")
    return cleaned or "non_field_errors"


def _nul_fields(querydict) -> dict[str, list[str]]:
    return {
        _field_name(name): [str(NUL_MESSAGE)]
        for name, values in querydict.lists()
        if contains_nul(name) or contains_nul(values)
    }


def _is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def error_response(request, status: int, exc: exceptions.APIException):
    """The API's error body for an exception raised outside a view, made by the API's own
    exception handler so the format lives in one place."""
    from rest_framework.renderers import JSONRenderer
    from rest_framework.settings import api_settings

    response = api_settings.EXCEPTION_HANDLER(exc, {"request": request, "view": None})
    if response is None:  # pragma: no cover  (the handler answers every APIException)
        return JsonResponse({"error": {"code": "error", "message": str(exc.detail)}}, status=status)
    response.accepted_renderer = JSONRenderer()
    response.accepted_media_type = "application/json"
    response.renderer_context = {"request": request}
    return response.render()


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        fields = self._nul_fields(request)
        if fields:
            if _is_api(request):
                return error_response(request, 400, exceptions.ValidationError(fields))
            return defaults.bad_request(request, exception=None)
        return self.get_response(request)

    def _nul_fields(self, request) -> dict[str, list[str]]:
        if NUL in request.path_info:
            return {"path": [str(NUL_MESSAGE)]}
        fields = _nul_fields(request.GET)
        if fields or _is_api(request) or request.method != "POST":
            # API bodies are checked by the API's parsers (PUT and PATCH too).
            return fields
        try:
            return _nul_fields(request.POST)
        except Exception:  # noqa: BLE001  (a malformed body is the view's to refuse)
            return {}


class _RejectNul:
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        data = parsed.data if isinstance(parsed, parsers.DataAndFiles) else parsed
        if hasattr(data, "lists"):
            fields = _nul_fields(data)
        elif isinstance(data, dict):
            fields = {
                _field_name(str(key)): [str(NUL_MESSAGE)]
                for key, value in data.items()
                if contains_nul(key) or contains_nul(value)
            }
        else:
            fields = {"non_field_errors": [str(NUL_MESSAGE)]} if contains_nul(data) else {}
        if fields:
            raise exceptions.ValidationError(fields)
        return parsed


class JSONParser(_RejectNul, parsers.JSONParser):
    pass


class FormParser(_RejectNul, parsers.FormParser):
    pass


class MultiPartParser(_RejectNul, parsers.MultiPartParser):
    pass


def storable_datetime(value) -> None:
    """A time PostgreSQL can compare with: its UTC offset within ±15:59 and its UTC time
    within the calendar (0001-01-01T00:00+14:00 is not)."""
    if value is None or value.tzinfo is None:
        return
    try:
        offset = value.utcoffset()
        value.astimezone(datetime.UTC)
    except (OverflowError, ValueError):
        offset = None
    if offset is None or abs(offset) >= datetime.timedelta(hours=16):
        raise ValidationError(DATETIME_MESSAGE, code="invalid")


# Query parameters that are never a filterset's: the change feed's cursor, page size and
# start, the county (integrity.api_sync), the renderer.
NOT_FILTERS = frozenset({"cursor", "page_size", "updated_since", "county", "format"})


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        # A page asked for without filters (a sync) does not build the filterset and its form:
        # bound to no filter values it filters nothing, and it is a quarter of a lean page.
        if NOT_FILTERS.issuperset(request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        for field in filterset.form.fields.values():
            if isinstance(field, forms.DecimalField | forms.IntegerField | forms.FloatField):
                field.validators += [
                    MaxValueValidator(NUMBER_LIMIT),
                    MinValueValidator(-NUMBER_LIMIT),
                ]
            elif isinstance(field, forms.DateTimeField):
                field.validators.append(storable_datetime)
        # django-filter reads a boolean it does not understand as "not given"; say so instead.
        invalid = {
            name: [str(BOOLEAN_MESSAGE)]
            for name, filter_ in filterset.filters.items()
            if isinstance(filter_, django_filters.BooleanFilter)
            and request.query_params.get(name, "").lower() not in BOOLEAN_VALUES
        }
        if invalid:
            raise exceptions.ValidationError(invalid)
        return filterset


def page_not_found(request, exception=None):
    if _is_api(request):
        return error_response(request, 404, exceptions.NotFound())
    return defaults.page_not_found(request, exception)
