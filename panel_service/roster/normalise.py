"""Turn cell values from hand-kept spreadsheets into clean, typed values.

Cells arrive as openpyxl gives them (str, int, float, datetime, bool or None) or as CSV
strings. Every parser here either returns a normalised value or raises `InvalidValue`,
whose code and parameters name what is wrong so that the caller can report it. None
of them guesses: a value that could mean two things is rejected as ambiguous.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class InvalidValue(ValueError):
    """A cell value that cannot be normalised; `code` and `params` feed the message."""

    def __init__(self, code: str, **params: object):
        super().__init__(f"{code} {params}")
        self.code = code
        self.params = params


# Full-width ASCII (U+FF01 to U+FF5E) sits at a fixed offset from ASCII. Folding only
# this block keeps every Chinese character and Chinese punctuation such as 、 intact.
_FULL_WIDTH_TABLE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH_TABLE[0x3000] = 0x20  # ideographic space

_WHITESPACE = re.compile(r"\s+")

# Zero-width characters (U+200B to U+200D, U+2060, U+FEFF) and bidirectional controls
# (U+202A to U+202E, U+2066 to U+2069). Excel shows none of them, yet they make two
# names or ID numbers that look equal differ, and bidirectional controls reorder the
# displayed text. A roster has no use for them, so they are removed from every cell.
_INVISIBLE_CHARACTERS = re.compile("[\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069]")
# C0 and C1 control characters, except tab, line feed and carriage return, which
# clean_text turns into spaces. openpyxl cannot write them into a workbook.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A lone surrogate cannot be encoded as UTF-8, so the database driver and the JSON of
# the import report would fail on it. It is replaced with U+FFFD, the replacement
# character, so that the text can still be shown.
_SURROGATES = re.compile("[\ud800-\udfff]")
REPLACEMENT_CHARACTER = "\ufffd"


@dataclass(frozen=True)
class SanitisedText:
    """Text with unsafe characters removed, and which kinds were found."""

    text: str
    invisible_removed: bool = False
    controls_removed: bool = False
    surrogates_replaced: bool = False

    @property
    def changed(self) -> bool:
        return self.invisible_removed or self.controls_removed or self.surrogates_replaced


def sanitise_text(text: str) -> SanitisedText:
    """Remove invisible and control characters and replace lone surrogates.

    The result always encodes as UTF-8.
    """
    without_invisible = _INVISIBLE_CHARACTERS.sub("", text)
    without_controls = _CONTROL_CHARACTERS.sub("", without_invisible)
    encodable = _SURROGATES.sub(REPLACEMENT_CHARACTER, without_controls)
    return SanitisedText(
        encodable,
        invisible_removed=without_invisible != text,
        controls_removed=without_controls != without_invisible,
        surrogates_replaced=encodable != without_controls,
    )


def sanitise_cell(value: object) -> tuple[object, SanitisedText | None]:
    """Return the cell with a text value sanitised, and the findings for text cells.

    Values of other types (numbers, dates, booleans, None) are returned unchanged.
    """
    if not isinstance(value, str):
        return value, None
    sanitised = sanitise_text(value)
    return sanitised.text, sanitised


def fold_width(text: str) -> str:
    """Return `text` with full-width letters, digits, brackets and spaces made half-width."""
    return text.translate(_FULL_WIDTH_TABLE)


def value_as_text(value: object) -> str:
    """Return a cell value as the user sees it in Excel, for problem reports.

    A float that Excel shows in scientific notation, such as an ID number that lost
    its digits, keeps that notation: 1.10108198109074e+17.
    """
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    return str(value)


def clean_text(value: object, *, fold: bool = True) -> str | None:
    """Return the cell as text, trimmed, with inner spaces collapsed to one.

    Invisible and control characters are removed and lone surrogates replaced (see
    `sanitise_text`). With `fold`, full-width characters become half-width as well.
    Display names of institutions pass fold=False to keep their Chinese brackets as
    written. Returns None for an empty cell or one that contains only spaces.
    """
    if value is None:
        return None
    text = sanitise_text(value_as_text(value)).text
    if fold:
        text = fold_width(text)
    text = _WHITESPACE.sub(" ", text).strip()
    return text or None


def clean_name(value: object) -> str | None:
    """Return a person's name with every space removed (张 三 and 张三 are one name)."""
    text = clean_text(value)
    return _WHITESPACE.sub("", text) if text else None


def clean_identifier(value: object) -> str | None:
    """Return a code such as a licence number: NFKC-folded, no spaces, upper case."""
    text = clean_text(value)
    if text is None:
        return None
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text)).upper()


def normalise_institution_name(name: str) -> str:
    """Return the key that matches an employer written by hand to a registry entry.

    The key is half-width, has no spaces and drops a trailing partnership suffix
    (普通合伙) or (特殊普通合伙) in either bracket width, because rosters usually omit
    the suffix that the registry writes.
    """
    key = _WHITESPACE.sub("", unicodedata.normalize("NFKC", name))
    return re.sub(r"\((特殊)?普通合伙\)$", "", key)


# Dates ----------------------------------------------------------------------------


class DatePrecision(StrEnum):
    YEAR = "year"
    MONTH = "month"
    DAY = "day"


@dataclass(frozen=True)
class PartialDate:
    """A date whose month or day may be unknown, such as 出生年月 written as 1965.03."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> DatePrecision:
        if self.day is not None:
            return DatePrecision.DAY
        return DatePrecision.MONTH if self.month is not None else DatePrecision.YEAR

    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    def last_day(self) -> dt.date:
        month = self.month or 12
        day = self.day or calendar.monthrange(self.year, month)[1]
        return dt.date(self.year, month, day)

    def contains(self, day: dt.date) -> bool:
        """Return whether `day` falls inside the period this partial date names."""
        return self.first_day() <= day <= self.last_day()

    def __str__(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


# Years in this range are read as calendar years, not as Excel serial numbers, because
# a serial of 1965 would be a day in 1905 and a typed birth year is far more likely.
_YEAR_RANGE = range(1900, 2101)
# Excel serial numbers of 1905-10-03 to 2119-01-09, the plausible span of the dates
# in a roster. Serials below count from 1900-01-00 with Excel's leap-year bug, which
# this range avoids.
_SERIAL_RANGE = range(2101, 80001)
_EXCEL_EPOCH = dt.date(1899, 12, 30)

_DATE_PATTERNS = (
    re.compile(r"(?P<year>\d{4})年(?:(?P<month>\d{1,2})月(?:(?P<day>\d{1,2})[日号])?)?"),
    re.compile(r"(?P<year>\d{4})(?P<sep>[./-])(?P<month>\d{1,2})(?:(?P=sep)(?P<day>\d{1,2}))?"),
    re.compile(r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})?"),
)
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")


def parse_partial_date(value: object) -> PartialDate:
    """Parse a date that may lack its day or month.

    Accepts datetime and date cells, Excel serial numbers, numbers such as 196503,
    19650312 or 1965.03, and text such as 1965.03, 1965年3月, 1965年3月12日, 196503,
    1965/3, 1965-03-12 or 1965. Raises InvalidValue with code `invalid_date`, or
    `ambiguous_date` for a number such as 1965.1 that Excel may have shortened from
    1965.10.
    """
    if isinstance(value, dt.datetime):
        return PartialDate(value.year, value.month, value.day)
    if isinstance(value, dt.date):
        return PartialDate(value.year, value.month, value.day)
    if isinstance(value, bool):
        raise InvalidValue("invalid_date", value=value_as_text(value))
    if isinstance(value, int | float):
        return _parse_numeric_date(value)
    if isinstance(value, str):
        return _parse_date_text(value)
    raise InvalidValue("invalid_date", value=value_as_text(value))


def _parse_numeric_date(value: int | float) -> PartialDate:
    text = value_as_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValue("invalid_date", value=text)

    if isinstance(value, float) and not value.is_integer() and int(value) in _YEAR_RANGE:
        # A number cell typed as 1965.10 is stored and shown as 1965.1.
        if re.fullmatch(r"\d{4}\.1", text):
            raise InvalidValue("ambiguous_date", value=text, first=f"{int(value)}-01", second=f"{int(value)}-10")
        return _parse_date_text(text)

    number = int(value)
    if number in _YEAR_RANGE or len(text) in (6, 8):
        return _parse_date_text(text)
    if number in _SERIAL_RANGE:
        day = _EXCEL_EPOCH + dt.timedelta(days=number)
        return PartialDate(day.year, day.month, day.day)
    raise InvalidValue("invalid_date", value=text)


def _parse_date_text(raw: str) -> PartialDate:
    text = _TIME_SUFFIX.sub("", unicodedata.normalize("NFKC", raw).strip())
    text = _WHITESPACE.sub("", text)

    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return _partial_date_from_match(match, raw)
    if re.fullmatch(r"\d{4}", text) and int(text) in _YEAR_RANGE:
        return PartialDate(int(text))
    raise InvalidValue("invalid_date", value=raw)


def _partial_date_from_match(match: re.Match[str], raw: str) -> PartialDate:
    year = int(match["year"])
    month = int(match["month"]) if match["month"] else None
    day = int(match["day"]) if match["day"] else None

    if year not in _YEAR_RANGE or (month is not None and not 1 <= month <= 12):
        raise InvalidValue("invalid_date", value=raw)
    if day is not None:
        try:
            dt.date(year, month or 1, day)
        except ValueError:
            raise InvalidValue("invalid_date", value=raw) from None
    return PartialDate(year, month, day)


def find_partial_date(text: str) -> PartialDate | None:
    """Return the first date written inside free text such as 2016年3月离职, or None."""
    folded = _WHITESPACE.sub("", unicodedata.normalize("NFKC", text))
    for pattern in _DATE_PATTERNS:
        match = pattern.search(folded)
        if match:
            try:
                return _partial_date_from_match(match, text)
            except InvalidValue:
                continue
    return None


def add_years(day: dt.date, years: int) -> dt.date:
    """Return the same calendar day `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# Numbers and contact details ------------------------------------------------------


# The default upper bound of a parsed whole number: far above any count or number of
# years in a roster, and far below the 2**31 - 1 of a database integer column.
MAX_WHOLE_NUMBER = 1_000_000


def parse_whole_number(value: object, units: tuple[str, ...] = (), *, maximum: int = MAX_WHOLE_NUMBER) -> int:
    """Parse a whole number from 0 to `maximum`, such as 24, 24.0, '24' or, with units, '24年'.

    Raises InvalidValue with code `invalid_number` for fractions and text that is not
    a number, and `number_out_of_range` for a negative number or one above `maximum`.
    """
    if isinstance(value, bool):
        raise InvalidValue("invalid_number", value=value_as_text(value))
    if isinstance(value, int):
        return _within_range(value, value, maximum)
    if isinstance(value, float) and value.is_integer():
        return _within_range(int(value), value, maximum)

    text = _WHITESPACE.sub("", unicodedata.normalize("NFKC", value_as_text(value)))
    for unit in units:
        text = text.removesuffix(unit)
    match = re.fullmatch(r"(?P<sign>-?)(?P<digits>\d+)(?:\.0+)?", text)
    if not match:
        raise InvalidValue("invalid_number", value=value_as_text(value))

    # int() raises ValueError for more than 4300 digits, so a long digit string is
    # reported out of range before int() is called.
    digits = match["digits"].lstrip("0") or "0"
    if len(digits) > len(str(maximum)):
        raise InvalidValue("number_out_of_range", value=value_as_text(value), minimum=0, maximum=maximum)
    number = -int(digits) if match["sign"] else int(digits)
    return _within_range(number, value, maximum)


def _within_range(number: int, value: object, maximum: int) -> int:
    if not 0 <= number <= maximum:
        raise InvalidValue("number_out_of_range", value=value_as_text(value), minimum=0, maximum=maximum)
    return number


_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")


def normalise_phone(value: object) -> str:
    """Return an 11-digit mainland mobile number: '138-3216-3443' becomes '13832163443'.

    A +86 or 0086 prefix is dropped. Raises InvalidValue with code `invalid_phone` for
    anything else, including landline numbers.
    """
    text = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", value_as_text(value)))
    text = re.sub(r"^(\+86|0086)", "", text)
    if not _MOBILE.fullmatch(text):
        raise InvalidValue("invalid_phone", value=value_as_text(value))
    return text


_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def normalise_email(value: object) -> str:
    """Return the address trimmed, half-width, with the domain in lower case.

    This is a shape check only (one @, a dotted domain, no spaces): it does not prove
    that the mailbox exists. Raises InvalidValue with code `invalid_email`.
    """
    text = unicodedata.normalize("NFKC", value_as_text(value)).strip()
    if not _EMAIL.fullmatch(text):
        raise InvalidValue("invalid_email", value=value_as_text(value))
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"
