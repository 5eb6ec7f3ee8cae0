"""Small helpers shared by the HTML views of every app."""

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone

from .xlsx import XLSX_CONTENT_TYPE


def form_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form (field errors where the field is shown)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """An Excel download named `<filename>-<date>.xlsx` (ASCII names: safe in every browser)."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{filename}-{timezone.localdate():%Y%m%d}.xlsx"
    )
    return response
