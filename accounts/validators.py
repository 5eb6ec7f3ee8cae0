"""Validators for standard numbers and passwords."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidComponent

DIVISION_CODE_RE = re.compile(r"^\d{6}$")
# GB 32100-2015: digits and upper-case letters except I, O, S, V and Z.
CREDIT_CODE_ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")


def normalize_credit_code(value: str) -> str:
    return uscc.compact(value or "")


def validate_credit_code(value: str) -> None:
    """Unified social credit code (统一社会信用代码), GB 32100-2015, checksum included.

    stdnum's uscc.validate() wants the first 8 characters to be digits, but the registration
    authority code (character 1) and the category code (character 2) may be letters: A (military),
    N (agriculture: the village collective economic organisations, N1/N2/N3) and Y (other). So
    the structure is checked here and stdnum gives the check character.
    """
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters."), code="credit_code_length"
        )
    if any(c not in CREDIT_CODE_ALPHABET for c in code):
        raise ValidationError(
            _(
                "A unified social credit code uses only digits and the letters "
                "ABCDEFGHJKLMNPQRTUWXY."
            ),
            code="credit_code_format",
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _(
                "Characters 3 to 8 of a unified social credit code are the administrative "
                "division code and must be digits."
            ),
            code="credit_code_division",
        )
    if code[-1] != uscc.calc_check_digit(code[:17]):
        raise ValidationError(
            _("The check character of this unified social credit code is wrong."),
            code="credit_code_checksum",
        )


def validate_resident_id(value: str) -> None:
    """Resident ID number (居民身份证号码), GB 11643-1999, check digit included.

    stdnum's ric.validate() also wants the first six digits to name a county that existed in
    the birth year, but they name the office that issued the number, often years after the
    birth (a 丰宁 resident born in 1985 has 130826, a code used only since 1993), and its table
    lacks newer areas (雄安新区), so it refuses real numbers. The shape, the birth date and the
    check digit are checked here.
    """
    number = ric.compact(value or "")
    if not (
        len(number) == 18
        and number[:17].isascii()
        and number[:17].isdigit()
        and number[17] in "0123456789X"
    ):
        raise ValidationError(
            _("A resident ID number has 17 digits and a check digit (0-9 or X)."),
            code="id_format",
        )
    if number[-1] != ric.calc_check_digit(number):
        raise ValidationError(
            _("The check digit of this resident ID number is wrong."), code="id_checksum"
        )
    try:
        ric.get_birth_date(number)
    except InvalidComponent:
        raise ValidationError(
            _("The birth date in this resident ID number is not a valid date."),
            code="id_birth_date",
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
