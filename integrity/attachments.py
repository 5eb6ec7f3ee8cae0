"""Attachments: checked on upload, stored outside any web root, served only through views that
check the user may see the object the file belongs to.

A file is accepted when its extension is allowed AND its first bytes are what that type starts
with, so an executable renamed .pdf is refused; an Office file must also hold its type's parts
and no macros (a .docm or .xlsm renamed .docx or .xlsx is refused). Names are never used as
paths: the stored name is a random UUID; the original name is kept (sanitised, its extension
kept when a long name is shortened) for the download header only. Django's multipart parser has
already dropped any directory part of the name the client sent.
"""

from __future__ import annotations

import io
import os
import uuid
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrity.xlsx import ZIP_ERRORS

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
ZIP_MEMBERS = {".docx": "word/", ".xlsx": "xl/", ".ofd": "OFD.xml"}
SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".ofd": (b"PK\x03\x04",),
}
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ofd": "application/ofd",
}


MAX_NAME = 120
# Macro-enabled Office files: the VBA project part, and the content types that announce it.
MACRO_PART = "vbaproject.bin"
MACRO_CONTENT_TYPE = b"macroEnabled"
MAX_CONTENT_TYPES_BYTES = 1024 * 1024


def safe_name(name: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip().strip(".")
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"/\\|?*')
    if len(base) > MAX_NAME:
        # Shortened before its extension, which decides whether the file is accepted.
        stem, ext = os.path.splitext(base)
        ext = ext if len(ext) <= 10 else ""
        base = stem[: MAX_NAME - len(ext)] + ext
    return base or "file"


def _has_macros(archive: zipfile.ZipFile) -> bool:
    """A VBA project anywhere in the package, or content types of a macro-enabled file."""
    if any(n.rsplit("/", 1)[-1].lower() == MACRO_PART for n in archive.namelist()):
        return True
    try:
        info = archive.getinfo("[Content_Types].xml")
    except KeyError:
        return False
    if info.file_size > MAX_CONTENT_TYPES_BYTES:
        return True  # not what Office writes: refuse rather than inflate it
    return MACRO_CONTENT_TYPE in archive.read(info)


def validate_upload(uploaded) -> tuple[str, str]:
    """Return (clean original name, content type) or raise ValidationError in Chinese."""
    name = safe_name(uploaded.name)
    ext = os.path.splitext(name)[1].lower()
    if ext not in SIGNATURES:
        raise ValidationError(
            _("Only PDF, JPG, PNG, Word (.docx), Excel (.xlsx) and OFD files are accepted.")
        )
    if uploaded.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)d MB.") % {"mb": MAX_ATTACHMENT_BYTES // 1024 // 1024}
        )
    if uploaded.size == 0:
        raise ValidationError(_("The file is empty."))
    head = uploaded.read(16)
    uploaded.seek(0)
    if not any(head.startswith(sig) for sig in SIGNATURES[ext]):
        raise ValidationError(
            _("The file's content does not match its type (%(ext)s).") % {"ext": ext}
        )
    if ext in ZIP_MEMBERS:
        data = uploaded.read()
        uploaded.seek(0)
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            names = archive.namelist()
            encrypted = any(info.flag_bits & 0x1 for info in archive.infolist())
            macros = not encrypted and _has_macros(archive)
        except ZIP_ERRORS:
            raise ValidationError(_("The file is damaged and cannot be opened.")) from None
        if encrypted:  # Office never writes encrypted members; nothing in them can be checked
            raise ValidationError(_("The file is damaged and cannot be opened."))
        if macros or not any(n.startswith(ZIP_MEMBERS[ext]) for n in names):
            raise ValidationError(
                _("The file's content does not match its type (%(ext)s).") % {"ext": ext}
            )
    return name, CONTENT_TYPES[ext]


def store_upload(attachment, uploaded, *, actor):
    """Check an upload (validate_upload) and save it as `attachment`, a new instance of an
    AttachmentBase model whose tenant and parent are already set."""
    name, content_type = validate_upload(uploaded)
    attachment.original_name = name
    attachment.content_type = content_type
    attachment.size = uploaded.size
    attachment.uploaded_by = actor
    attachment.file.save(name, uploaded, save=False)
    attachment.save()
    return attachment


def _upload_to(instance, filename: str) -> str:
    ext = os.path.splitext(filename)[1].lower()
    return (
        f"attachments/{instance._meta.app_label}/{instance.tenant_id}/"
        f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}{ext}"
    )


class AttachmentBase(models.Model):
    """Concrete attachment models add the tenant and the object they belong to."""

    file = models.FileField(gettext_lazy("file"), upload_to=_upload_to, max_length=255)
    original_name = models.CharField(gettext_lazy("file name"), max_length=150)
    content_type = models.CharField(gettext_lazy("type"), max_length=100)
    size = models.PositiveIntegerField(gettext_lazy("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(gettext_lazy("uploaded at"), auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name

    def response(self) -> FileResponse:
        return FileResponse(
            self.file.open("rb"),
            as_attachment=True,
            filename=self.original_name,
            content_type=self.content_type,
        )
