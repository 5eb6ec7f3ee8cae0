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


def log_export(request, *, what: str, rows: int) -> None:
    """Every export is a security event: who exported what, with which filters, how many rows."""
    from accounts.choices import SecurityEventKind
    from accounts.services import security_event_record

    security_event_record(
        kind=SecurityEventKind.EXPORT,
        request=request,
        user=request.user,
        what=what,
        filters=request.GET.dict(),
        rows=rows,
    )


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """An Excel download named `<filename>-<date>.xlsx` (ASCII names: safe in every browser)."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{filename}-{timezone.localdate():%Y%m%d}.xlsx"
    )
    return response
