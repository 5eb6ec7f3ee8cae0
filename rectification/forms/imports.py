"""The ledger upload form: only what can be checked at once (name, size, the zip signature);
the file as a whole and every row are checked by the import job."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrity.xlsx import XLSX_CONTENT_TYPE


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Ledger file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{XLSX_CONTENT_TYPE}"}),
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if not uploaded.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(
                _("This is not an Excel .xlsx file. Save it as .xlsx and try again.")
            )
        if uploaded.size > settings.EXCEL_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s.")
                % {"size": filesizeformat(settings.EXCEL_UPLOAD_MAX_BYTES)}
            )
        head = uploaded.read(4)
        uploaded.seek(0)
        if not head.startswith(b"PK"):
            raise forms.ValidationError(
                _("This is not an Excel .xlsx file. Save it as .xlsx and try again.")
            )
        return uploaded
