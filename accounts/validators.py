"""Validators for standard numbers and passwords."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength

DIVISION_CODE_RE = re.compile(r"^\d{6}$")


def normalize_credit_code(value: str) -> str:
    return uscc.compact(value or "")


def validate_credit_code(value: str) -> None:
    """Unified social credit code (统一社会信用代码), GB 32100-2015, checksum included."""
    try:
        uscc.validate(value)
    except InvalidLength:
        raise ValidationError(
            _("A unified social credit code has 18 characters."), code="credit_code_length"
        ) from None
    except InvalidChecksum:
        raise ValidationError(
            _("The check character of this unified social credit code is wrong."),
            code="credit_code_checksum",
        ) from None
    except (InvalidFormat, Exception):
        raise ValidationError(
            _(
                "A unified social credit code uses only digits and the letters "
                "ABCDEFGHJKLMNPQRTUWXY."
            ),
            code="credit_code_format",
        ) from None


def validate_resident_id(value: str) -> None:
    """Resident ID number (居民身份证号码), GB 11643-1999, check digit included."""
    try:
        ric.validate(value)
    except InvalidChecksum:
        raise ValidationError(
            _("The check digit of this resident ID number is wrong."), code="id_checksum"
        ) from None
    except Exception:
        raise ValidationError(
            _("A resident ID number has 17 digits and a check digit (0-9 or X)."),
            code="id_format",
        ) from None


def validate_division_code(value: str) -> None:
    if not DIVISION_CODE_RE.match(value or ""):
        raise ValidationError(
            _("An administrative division code has exactly 6 digits."), code="division_code"
        )


class CharacterClassValidator:
    """At least `min_classes` of: lower case, upper case, digits, other characters (等保2.0)."""

    CLASSES = (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]")

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        found = sum(1 for pattern in self.CLASSES if re.search(pattern, password))
        if found < self.min_classes:
            raise ValidationError(self.get_error_message(), code="password_character_classes")

    def get_error_message(self) -> str:
        return ngettext(
            "The password must contain at least %(n)d kind of character among lower-case "
            "letters, upper-case letters, digits and symbols.",
            "The password must contain at least %(n)d kinds of character among lower-case "
            "letters, upper-case letters, digits and symbols.",
            self.min_classes,
        ) % {"n": self.min_classes}

    def get_help_text(self) -> str:
        return self.get_error_message()
