import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from panel_service.roster.idcard import check_character, parse_id_number
from panel_service.roster.normalise import InvalidValue


def make_id(region: str = "110101", birth: str = "19650312", sequence: str = "123") -> str:
    first_17 = region + birth + sequence
    return first_17 + check_character(first_17)


def error_code(value) -> str:
    with pytest.raises(InvalidValue) as caught:
        parse_id_number(value)
    return caught.value.code


def test_known_check_characters():
    # Published sample numbers: the check character of 11010519491231002 is X.
    assert check_character("11010519491231002") == "X"
    assert make_id("110105", "19491231", "002") == "11010519491231002X"


def test_valid_id_gives_birth_date_and_sex():
    parsed = parse_id_number(make_id(sequence="123"))
    assert parsed.number == make_id(sequence="123")
    assert parsed.birth_date == dt.date(1965, 3, 12)
    assert parsed.sex == "male"
    assert not parsed.reformatted


def test_even_sex_digit_is_female():
    assert parse_id_number(make_id(sequence="124")).sex == "female"


def test_lower_case_x_upper_cased():
    parsed = parse_id_number("11010519491231002x")
    assert parsed.number == "11010519491231002X"
    assert parsed.reformatted


@pytest.mark.parametrize("written", ["１１０１０１１９６５０３１２１２３{}", "110101 19650312 123{}", " 110101196503121 23{} "])
def test_full_width_and_spaces_folded(written):
    number = make_id()
    parsed = parse_id_number(written.format(number[-1]))
    assert parsed.number == number
    assert parsed.reformatted


@pytest.mark.parametrize("value", [1.10108198109074e17, "1.10108198109074e+17", "1.10108E+17", "3.101041970091699E17"])
def test_excel_numbers_rejected(value):
    assert error_code(value) == "id_excel_number"


def test_excel_number_keeps_written_value():
    with pytest.raises(InvalidValue) as caught:
        parse_id_number(1.10108198109074e17)
    assert caught.value.params["value"] == "1.10108198109074e+17"


def test_legacy_15_digit_rejected():
    assert error_code("110105491231002") == "id_legacy_15"
    assert error_code(110105491231002) == "id_legacy_15"


def test_checksum_error_names_expected_character():
    number = make_id()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(InvalidValue) as caught:
        parse_id_number(wrong)
    assert caught.value.code == "id_checksum"
    assert caught.value.params["expected"] == number[17]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1101011965031212", "id_invalid_length"),
        ("11010119650312123456", "id_invalid_length"),
        ("1101011965031212A4", "id_invalid_characters"),
        ("X10101196503121234", "id_invalid_characters"),
        ("991010196503121234", "id_invalid_region"),
        ("110101196502301234", "id_invalid_birth_date"),
        ("110101189912311234", "id_invalid_birth_date"),
    ],
)
def test_malformed_ids_rejected(value, code):
    assert error_code(value) == code


ids = st.builds(
    make_id,
    region=st.sampled_from(["110101", "110108", "120101", "310104", "370102", "410105", "650102"]),
    birth=st.dates(dt.date(1930, 1, 1), dt.date(2005, 12, 31)).map(lambda d: d.strftime("%Y%m%d")),
    sequence=st.integers(0, 999).map(lambda n: f"{n:03d}"),
)


@given(ids)
def test_generated_ids_parse(number):
    assert parse_id_number(number).number == number


@given(ids, st.integers(0, 17), st.integers(1, 9))
def test_single_digit_change_detected(number, position, shift):
    # ISO 7064 MOD 11-2 detects every change of a single character.
    characters = "0123456789X" if position == 17 else "0123456789"
    current = characters.index(number[position])
    changed = number[:position] + characters[(current + shift) % len(characters)] + number[position + 1 :]

    with pytest.raises(InvalidValue):
        parse_id_number(changed)
