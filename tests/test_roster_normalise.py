import datetime as dt

import pytest

from panel_service.roster.normalise import (
    DatePrecision,
    InvalidValue,
    PartialDate,
    add_years,
    clean_name,
    clean_text,
    find_partial_date,
    fold_width,
    normalise_email,
    normalise_institution_name,
    normalise_phone,
    parse_partial_date,
    parse_whole_number,
    value_as_text,
)


def test_fold_width_keeps_chinese():
    assert fold_width("ＡＢＣ１２３（普通合伙）、，。") == "ABC123(普通合伙)、,。"
    assert fold_width("北京　司法") == "北京 司法"


def test_clean_text_collapses_spaces():
    assert clean_text("  北京  德衡\t司法鉴定中心  ") == "北京 德衡 司法鉴定中心"
    assert clean_text("   ") is None
    assert clean_text(None) is None
    assert clean_text(24) == "24"


def test_clean_text_without_fold_keeps_brackets():
    assert clean_text("北京金盾司法鉴定中心（普通合伙） ", fold=False) == "北京金盾司法鉴定中心（普通合伙）"


def test_clean_name_removes_all_spaces():
    assert clean_name(" 张　 三 ") == "张三"


def test_value_as_text_keeps_scientific_notation():
    assert value_as_text(1.10108198109074e17) == "1.10108198109074e+17"
    assert value_as_text(24.0) == "24"
    assert value_as_text(dt.datetime(1965, 3, 12)) == "1965-03-12"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(1965, 3, 12), PartialDate(1965, 3, 12)),
        (dt.date(1965, 3, 12), PartialDate(1965, 3, 12)),
        ("1965.03", PartialDate(1965, 3)),
        ("1965.3", PartialDate(1965, 3)),
        ("1965.1", PartialDate(1965, 1)),
        ("1965.10", PartialDate(1965, 10)),
        ("1965年3月", PartialDate(1965, 3)),
        ("1965年03月12日", PartialDate(1965, 3, 12)),
        ("196503", PartialDate(1965, 3)),
        ("19650312", PartialDate(1965, 3, 12)),
        ("1965/3", PartialDate(1965, 3)),
        ("1965/3/12", PartialDate(1965, 3, 12)),
        ("1965-03-12", PartialDate(1965, 3, 12)),
        ("1965-03-12 00:00:00", PartialDate(1965, 3, 12)),
        ("１９６５．０３", PartialDate(1965, 3)),
        (" 1965 . 03 ", PartialDate(1965, 3)),
        ("1965", PartialDate(1965)),
        ("1965年", PartialDate(1965)),
        (196503, PartialDate(1965, 3)),
        (19650312, PartialDate(1965, 3, 12)),
        (1965.03, PartialDate(1965, 3)),
        (1965.12, PartialDate(1965, 12)),
        (1965, PartialDate(1965)),
        (23813, PartialDate(1965, 3, 12)),
        (23813.5, PartialDate(1965, 3, 12)),
    ],
)
def test_partial_date_forms(value, expected):
    assert parse_partial_date(value) == expected


@pytest.mark.parametrize(
    "value",
    ["1965.13", "1965-02-30", "65.03", "3/12/1965", "birthday", "1965.03.", "", True, 123, 1234567, 1899],
)
def test_partial_date_rejects(value):
    with pytest.raises(InvalidValue) as caught:
        parse_partial_date(value)
    assert caught.value.code == "invalid_date"


def test_partial_date_mixed_separators_rejected():
    with pytest.raises(InvalidValue):
        parse_partial_date("1965.03-12")


def test_number_1965_1_is_ambiguous():
    with pytest.raises(InvalidValue) as caught:
        parse_partial_date(1965.1)
    assert caught.value.code == "ambiguous_date"
    assert caught.value.params["first"] == "1965-01"
    assert caught.value.params["second"] == "1965-10"


def test_partial_date_precision_and_bounds():
    month = PartialDate(2024, 2)
    assert month.precision is DatePrecision.MONTH
    assert month.first_day() == dt.date(2024, 2, 1)
    assert month.last_day() == dt.date(2024, 2, 29)
    assert PartialDate(2016).last_day() == dt.date(2016, 12, 31)
    assert PartialDate(1965, 3, 12).precision is DatePrecision.DAY
    assert month.contains(dt.date(2024, 2, 15))
    assert not month.contains(dt.date(2024, 3, 1))
    assert str(month) == "2024-02"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016年3月离职", PartialDate(2016, 3)),
        ("于2016.03离职", PartialDate(2016, 3)),
        ("2019年离职", PartialDate(2019)),
        ("离职时间：2020-06-30", PartialDate(2020, 6, 30)),
    ],
)
def test_find_partial_date_in_text(text, expected):
    assert find_partial_date(text) == expected


def test_find_partial_date_without_date():
    assert find_partial_date("已离职多年") is None


def test_add_years_on_leap_day():
    assert add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)
    assert add_years(dt.date(2023, 3, 1), 5) == dt.date(2028, 3, 1)


@pytest.mark.parametrize(("value", "expected"), [(24, 24), (24.0, 24), ("24", 24), ("24年", 24), ("２４年", 24), ("24.0", 24), (" 24 ", 24)])
def test_whole_number_forms(value, expected):
    assert parse_whole_number(value, units=("年",)) == expected


@pytest.mark.parametrize("value", [24.5, "24.5", "二十四", "", True, "24岁"])
def test_whole_number_rejects(value):
    with pytest.raises(InvalidValue) as caught:
        parse_whole_number(value, units=("年",))
    assert caught.value.code == "invalid_number"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("138-3216-3443", "13832163443"),
        ("138 3216 3443", "13832163443"),
        ("+86 138 3216 3443", "13832163443"),
        ("１３８３２１６３４４３", "13832163443"),
        (13832163443, "13832163443"),
        (13832163443.0, "13832163443"),
    ],
)
def test_phone_normalised(value, expected):
    assert normalise_phone(value) == expected


@pytest.mark.parametrize("value", ["010-62345678", "1383216344", "23832163443", "138321634430", "手机"])
def test_phone_rejected(value):
    with pytest.raises(InvalidValue) as caught:
        normalise_phone(value)
    assert caught.value.code == "invalid_phone"


def test_email_normalised():
    assert normalise_email(" Zhang.San@Example.COM ") == "Zhang.San@example.com"
    assert normalise_email("ｌｉ＠ｅｘａｍｐｌｅ．ｃｎ") == "li@example.cn"


@pytest.mark.parametrize("value", ["zhang", "zhang@", "@example.com", "zhang@example", "zhang san@example.com", "a@b@c.com", "a@.com"])
def test_email_rejected(value):
    with pytest.raises(InvalidValue) as caught:
        normalise_email(value)
    assert caught.value.code == "invalid_email"


@pytest.mark.parametrize(
    "name",
    [
        "北京金盾司法鉴定中心（普通合伙）",
        "北京金盾司法鉴定中心(普通合伙)",
        "北京金盾司法鉴定中心（特殊普通合伙）",
        "北京金盾司法鉴定中心 ",
        " 北京 金盾司法鉴定中心",
        "北京金盾司法鉴定中心",
    ],
)
def test_institution_name_key(name):
    assert normalise_institution_name(name) == "北京金盾司法鉴定中心"


def test_institution_name_key_keeps_inner_brackets():
    assert normalise_institution_name("北京（中关村）司法鉴定中心") == "北京(中关村)司法鉴定中心"
