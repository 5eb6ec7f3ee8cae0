"""Forms of the filing pages: the sections editor, the workflow comments, attachments. Shape
only; the workflow rules are in `rectification.services`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from integrity.richtext import clean_html
from supervision.forms.public import MultipleFileField

from ..choices import FILING_SECTIONS

SECTION_MAX_CHARS = 100_000


class RichTextarea(forms.Textarea):
    """A textarea that static/js/richtext.js turns into a small editor (bold, italic,
    underline, lists, heading). Without JavaScript it stays a plain textarea; the service
    cleans the HTML either way."""

    def __init__(self, attrs=None):
        super().__init__({"rows": 8, "data-richtext": "1", **(attrs or {})})


class FilingSectionsForm(forms.Form):
    """One rich-text field per section of the filing's kind, with its guidance text."""

    def __init__(self, *args, filing, **kwargs):
        # The editor puts the text into innerHTML: cleaned again, as on the filing's page (the
        # service cleaned it when saved; rows written another way are not trusted).
        kwargs.setdefault(
            "initial", {key: clean_html(html) for key, html in (filing.sections or {}).items()}
        )
        super().__init__(*args, **kwargs)
        for key, label, guidance in FILING_SECTIONS[filing.kind]:
            self.fields[key] = forms.CharField(
                label=label,
                help_text=guidance,
                required=False,
                max_length=SECTION_MAX_CHARS,
                widget=RichTextarea(),
            )


class CommentForm(forms.Form):
    """The comment of a sign-off, a send-back, an acceptance or a return. Whether it is
    required depends on the step (the service says so)."""

    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AttachForm(forms.Form):
    files = MultipleFileField(
        label=_("Add attachments"),
        help_text=_("PDF, JPG, PNG, Word (.docx), Excel (.xlsx) or OFD, at most 20 MB each."),
    )

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        if not files:
            raise forms.ValidationError(_("Choose at least one file."))
        return files
