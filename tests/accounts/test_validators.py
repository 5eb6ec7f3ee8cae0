"""Standard numbers (统一社会信用代码 GB 32100-2015, 居民身份证号码 GB 11643-1999) and the
password character-class rule."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext, ngettext
from stdnum.cn import ric, uscc

from accounts.models import Agency
from accounts.validators import (
    CharacterClassValidator,
    normalize_credit_code,
    validate_credit_code,
    validate_resident_id,
)
from tests.conftest import login

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Real codes; each was checked with python-stdnum (uscc.is_valid) before it went in here.
VALID_CODES = [
    "91110000600037341L",
    "91330100799655058B",
    "9144030071526726XG",
    "914403001922038216",
    "91110000710925462X",
]

CREDIT_LENGTH = "A unified social credit code has 18 characters."
CREDIT_FORMAT = (
    "A unified social credit code uses only digits and the letters ABCDEFGHJKLMNPQRTUWXY."
)
CREDIT_DIVISION = (
    "Characters 3 to 8 of a unified social credit code are the administrative division code "
    "and must be digits."
)
CREDIT_CHECKSUM = "The check character of this unified social credit code is wrong."
ID_FORMAT = "A resident ID number has 17 digits and a check digit (0-9 or X)."
ID_CHECKSUM = "The check digit of this resident ID number is wrong."
ID_BIRTH_DATE = "The birth date in this resident ID number is not a valid date."

# The catalogue may not be compiled yet: without the .mo file gettext returns the English
# msgid, and these tests then check the msgid only; once it exists they insist on Chinese.
MO_FILE = settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def zh_error(validator, value) -> ValidationError:
    """The ValidationError raised for `value`, with its message rendered in zh-hans."""
    with translation.override("zh-hans"), pytest.raises(ValidationError) as info:
        validator(value)
    return info.value


def assert_message(error: ValidationError, msgid: str, code: str) -> None:
    assert error.code == code
    with translation.override("zh-hans"):
        expected = gettext(msgid)
    assert error.messages == [expected]
    if MO_FILE.exists():
        assert has_chinese(error.messages[0]), f"untranslated: {msgid}"


def with_check(body: str) -> str:
    return body + uscc.calc_check_digit(body)


def id_with_check(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


# Unified social credit code --------------------------------------------------------------


@pytest.mark.parametrize("code", VALID_CODES)
def test_real_credit_codes_are_accepted(code):
    assert uscc.is_valid(code)
    validate_credit_code(code)


@pytest.mark.parametrize(
    "code",
    [
        with_check("N2130826MA0000001"),  # village collective economic organisation (村级)
        with_check("N1130826MA0000002"),  # group-level collective (组级)
        with_check("Y1130826MA0000003"),  # "other" registration authority
        with_check("A1110000MB0000004"),  # military public institution
    ],
)
def test_letters_are_allowed_in_the_authority_and_category_positions(code):
    validate_credit_code(code)


@pytest.mark.parametrize(
    "value", ["91110000600037341l", "9111-0000-6000-3734-1L", " 9111000060003734１L "]
)
def test_separators_lower_case_and_full_width_digits_are_tolerated(value):
    # Accepted as stdnum compacts them; services store normalize_credit_code(value).
    validate_credit_code(value)
    assert normalize_credit_code(value) == VALID_CODES[0]


def expected_code(position: int, char: str) -> str:
    if 2 <= position <= 7 and not char.isdigit():
        return "credit_code_division"
    return "credit_code_checksum"


@pytest.mark.parametrize("position", range(18))
@pytest.mark.parametrize("code", VALID_CODES)
def test_every_one_character_change_is_rejected(code, position):
    accepted, wrong_code = [], []
    for char in ALPHABET:
        if char == code[position]:
            continue
        changed = code[:position] + char + code[position + 1 :]
        try:
            validate_credit_code(changed)
        except ValidationError as exc:
            if exc.code != expected_code(position, char):
                wrong_code.append((changed, exc.code))
        else:
            accepted.append(changed)
    assert accepted == []
    assert wrong_code == []


@pytest.mark.parametrize("code", VALID_CODES)
def test_a_changed_check_character_gets_the_checksum_message(code):
    changed = code[:17] + ("0" if code[17] != "0" else "1")
    assert_message(zh_error(validate_credit_code, changed), CREDIT_CHECKSUM, "credit_code_checksum")


def test_a_letter_in_the_division_code_gets_its_own_message():
    assert_message(
        zh_error(validate_credit_code, "9111A000600037341L"),
        CREDIT_DIVISION,
        "credit_code_division",
    )


@pytest.mark.parametrize(
    "value",
    ["", "9111000060003734", "91110000600037341", "91110000600037341LL", "9" * 30],
)
def test_wrong_length_is_rejected(value):
    assert_message(zh_error(validate_credit_code, value), CREDIT_LENGTH, "credit_code_length")


@pytest.mark.parametrize("letter", "IOSVZ")
@pytest.mark.parametrize("position", [0, 1, 9, 16, 17])
def test_forbidden_letters_are_rejected(letter, position):
    code = VALID_CODES[0]
    changed = code[:position] + letter + code[position + 1 :]
    assert_message(zh_error(validate_credit_code, changed), CREDIT_FORMAT, "credit_code_format")
    lower = code[:position] + letter.lower() + code[position + 1 :]
    assert_message(zh_error(validate_credit_code, lower), CREDIT_FORMAT, "credit_code_format")


@pytest.mark.parametrize(
    "value", ["91110000600037341!", "9111000060003734.L", "91110000 60003734L"]
)
def test_other_characters_are_rejected(value):
    with pytest.raises(ValidationError):
        validate_credit_code(value)


def test_the_agency_form_shows_the_credit_code_error(client, world):
    login(client, world.office_admin_a)
    data = {"name": "县农业农村局", "kind": "department", "credit_code": "91110000600037341X"}

    response = client.post("/agencies/new/", data)

    assert response.status_code == 200
    with translation.override("zh-hans"):
        assert gettext(CREDIT_CHECKSUM) in response.content.decode()
    assert not Agency.objects.filter(name="县农业农村局").exists()

    data["credit_code"] = "91110000600037341L"
    assert client.post("/agencies/new/", data).status_code == 302
    assert Agency.objects.get(name="县农业农村局").credit_code == "91110000600037341L"


def test_a_village_collective_can_be_registered_as_an_agency(client, world):
    login(client, world.office_admin_a)
    code = with_check("N2130826MA0000001")

    response = client.post(
        "/agencies/new/",
        {"name": "某村股份经济合作社", "kind": "state_enterprise", "credit_code": code.lower()},
    )

    assert response.status_code == 302
    assert Agency.objects.get(name="某村股份经济合作社").credit_code == code


# Resident ID number ----------------------------------------------------------------------

RESIDENT_ID = "11010519491231002X"


def test_the_standard_example_is_accepted():
    assert ric.is_valid(RESIDENT_ID)
    validate_resident_id(RESIDENT_ID)
    validate_resident_id(RESIDENT_ID.lower())


@pytest.mark.parametrize(
    "body",
    [
        "13082619850312001",  # 丰宁: code 130826 since 1993, first ID issued at 16 in 2001
        "11011920000101002",  # 延庆区 (110119 since 2015), ID issued at 16 in 2016
        "13310020180101003",  # 雄安新区, not in stdnum's table
    ],
)
def test_numbers_issued_under_later_division_codes_are_accepted(body):
    validate_resident_id(id_with_check(body))


@pytest.mark.parametrize("position", range(18))
def test_every_one_digit_change_is_rejected(position):
    chars = "0123456789X" if position == 17 else "0123456789"
    accepted = []
    for char in chars:
        if char == RESIDENT_ID[position]:
            continue
        changed = RESIDENT_ID[:position] + char + RESIDENT_ID[position + 1 :]
        try:
            validate_resident_id(changed)
        except ValidationError as exc:
            assert exc.code == "id_checksum", changed
        else:
            accepted.append(changed)
    assert accepted == []


def test_a_wrong_check_digit_gets_the_checksum_message():
    assert_message(zh_error(validate_resident_id, "110105194912310021"), ID_CHECKSUM, "id_checksum")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1101051949123100",
        "11010519491231002",
        "11010519491231002XX",
        "X1010519491231002X",
        "1101051949123100X2",
        "11010519491231002Y",
        "110105-19491231-002X",
    ],
)
def test_malformed_resident_ids_get_the_format_message(value):
    assert_message(zh_error(validate_resident_id, value), ID_FORMAT, "id_format")


@pytest.mark.parametrize("date", ["19491331", "19490230", "19490000"])
def test_an_impossible_birth_date_is_rejected(date):
    number = id_with_check(f"110105{date}002")
    assert_message(zh_error(validate_resident_id, number), ID_BIRTH_DATE, "id_birth_date")


# Password character classes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "classes"),
    [
        ("abcdefgh", 1),
        ("ABCDEFGH", 1),
        ("12345678", 1),
        ("!@#$%^&*", 1),
        ("abcd1234", 2),
        ("abcdEFGH", 2),
        ("ABCD!!!!", 2),
        ("abc ef gh", 2),  # a space counts as a symbol
        ("abcABC12", 3),
        ("abc-1234", 3),
        ("ABC-1234", 3),
        ("密码abc123", 3),  # Chinese characters count as symbols
        ("Ab1!Ab1!", 4),
    ],
)
@pytest.mark.parametrize("min_classes", [1, 2, 3, 4])
def test_character_classes(password, classes, min_classes):
    validator = CharacterClassValidator(min_classes=min_classes)
    if classes >= min_classes:
        validator.validate(password)
        return
    with pytest.raises(ValidationError) as info:
        validator.validate(password)
    assert info.value.code == "password_character_classes"


@pytest.mark.parametrize("min_classes", [1, 3])
def test_character_class_message_and_help_text(min_classes):
    validator = CharacterClassValidator(min_classes=min_classes)
    with translation.override("zh-hans"):
        expected = ngettext(
            "The password must contain at least %(n)d kind of character among lower-case "
            "letters, upper-case letters, digits and symbols.",
            "The password must contain at least %(n)d kinds of character among lower-case "
            "letters, upper-case letters, digits and symbols.",
            min_classes,
        ) % {"n": min_classes}
        with pytest.raises(ValidationError) as info:
            validator.validate("" if min_classes == 1 else "abcdefgh")
        assert validator.get_help_text() == expected
    assert info.value.messages == [expected]
    assert str(min_classes) in expected
    if MO_FILE.exists():
        assert has_chinese(expected)


def test_the_project_requires_three_classes():
    configured = [
        v
        for v in settings.AUTH_PASSWORD_VALIDATORS
        if v["NAME"] == "accounts.validators.CharacterClassValidator"
    ]
    assert configured == [
        {"NAME": "accounts.validators.CharacterClassValidator", "OPTIONS": {"min_classes": 3}}
    ]
