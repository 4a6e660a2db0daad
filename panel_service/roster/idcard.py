"""Validate mainland resident ID numbers (公民身份号码, GB 11643-1999).

An 18-character number is six region digits, eight birth-date digits, three sequence
digits whose last one is odd for men and even for women, and a check character from
the ISO 7064 MOD 11-2 checksum (0-9 or X). The ID number is the expert's identity
key, so nothing here repairs a number beyond folding its form (full-width digits,
spaces, a lower-case x). In particular an ID that Excel stored as a floating-point
number has lost its last digits and is rejected, never rebuilt. An integer of 18
digits, which other programs write, is validated as text unless it may have passed
through a floating-point number.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from panel_service.roster.normalise import InvalidValue, value_as_text

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"

# First two digits: provinces, autonomous regions and municipalities, plus 71
# (Taiwan), 81 and 82 (Hong Kong and Macao residence permits) and 83 (Taiwan residence
# permits), which also use the 18-character format.
_PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
     50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)

_SCIENTIFIC_NOTATION = re.compile(r"\d(\.\d+)?[eE]\+?\d+")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class IdNumber:
    """A valid 18-character ID number and the facts it encodes."""

    number: str
    birth_date: dt.date
    sex: str  # "male" or "female"
    # True when the cell differed from `number` only in form (full-width digits,
    # spaces, lower-case x), so that the spreadsheet can be cleaned.
    reformatted: bool = False
    # True when the cell was an exact 18-digit integer: complete, but the next ID
    # typed into a number column loses its last digits.
    stored_as_number: bool = False


def check_character(first_17_digits: str) -> str:
    """Return the check character that GB 11643 assigns to the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first_17_digits, _WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


def parse_id_number(value: object) -> IdNumber:
    """Validate an ID number cell and return the number with its birth date and sex.

    An integer cell of 18 digits is validated like its text, with `stored_as_number`
    set. Raises InvalidValue with one of these codes:
    `id_excel_number` (any other number cell, or scientific notation: Excel kept only
    15 significant digits), `id_number_may_be_rounded` (an 18-digit integer that is
    also a floating-point number), `id_legacy_15` (the 15-digit format issued before 1999),
    `id_invalid_length`, `id_invalid_characters`, `id_invalid_region`,
    `id_invalid_birth_date` and `id_checksum`.
    """
    written = value_as_text(value)
    is_number = isinstance(value, float | int) and not isinstance(value, bool)
    stored_as_number = is_number and isinstance(value, int) and 10**17 <= value < 10**18
    # Every spreadsheet number is a double, and a program that turns one into an
    # integer keeps its rounding. A genuine 18-digit ID is also a double only about
    # once in 16 to 128 cases (the spacing of doubles at this size), and a rounded ID
    # may still pass the checksum, so such an integer is not trusted.
    if stored_as_number and float(value) == value:
        raise InvalidValue("id_number_may_be_rounded", value=written)
    if is_number and not stored_as_number:
        if isinstance(value, int) and len(written) == 15:
            raise InvalidValue("id_legacy_15", value=written)
        raise InvalidValue("id_excel_number", value=written)

    number = _WHITESPACE.sub("", unicodedata.normalize("NFKC", written)).upper()
    if _SCIENTIFIC_NOTATION.fullmatch(number):
        raise InvalidValue("id_excel_number", value=written)

    _check_shape(number, written)
    birth_date = _birth_date(number, written)
    _check_checksum(number, written)

    sex = "male" if int(number[16]) % 2 == 1 else "female"
    return IdNumber(number, birth_date, sex, reformatted=number != written, stored_as_number=stored_as_number)


def _check_shape(number: str, written: str) -> None:
    if len(number) == 15 and number.isdigit():
        raise InvalidValue("id_legacy_15", value=written)
    if len(number) != 18:
        raise InvalidValue("id_invalid_length", value=written, length=len(number))
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise InvalidValue("id_invalid_characters", value=written)
    if int(number[:2]) not in _PROVINCE_CODES:
        raise InvalidValue("id_invalid_region", value=written, region=number[:6])


def _birth_date(number: str, written: str) -> dt.date:
    digits = number[6:14]
    try:
        birth_date = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise InvalidValue("id_invalid_birth_date", value=written, birth=digits) from None
    if birth_date.year < 1900:
        raise InvalidValue("id_invalid_birth_date", value=written, birth=digits)
    return birth_date


def _check_checksum(number: str, written: str) -> None:
    expected = check_character(number[:17])
    if number[17] != expected:
        raise InvalidValue("id_checksum", value=written, expected=expected)
