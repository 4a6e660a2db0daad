"""Message templates for roster and registry problems, and their rendering.

Each problem code has one English template with %(name)s placeholders. The Chinese
text lives in the translation catalogue, so `format_problem` renders in the locale
of the current request, or in English outside an application context. Every
template may use %(value)s (the cell as written) and %(column)s (its header as
written) besides the problem's own parameters.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from panel_service.roster.problems import Problem, SkippedRow

PROBLEM_MESSAGES = {
    # Files and sheets
    "empty_file": _l("The file %(filename)s is empty."),
    "legacy_workbook": _l(
        "%(filename)s is not an .xlsx workbook. Save it in Excel or WPS as .xlsx without a password, or as CSV."
    ),
    "unreadable_workbook": _l(
        "Cannot open %(filename)s as an .xlsx workbook (%(error)s). Open it in Excel or WPS and save it again as .xlsx."
    ),
    "unreadable_csv": _l("Cannot read %(filename)s as CSV near line %(row)s (%(error)s). Save it again as CSV from Excel or WPS."),
    "unsupported_encoding": _l("%(filename)s is encoded as %(encoding)s. Save it as CSV in UTF-8 or GB18030."),
    "undecodable_text": _l(
        "%(filename)s is neither an .xlsx workbook nor a text file in UTF-8 or GB18030. Save it as .xlsx or as CSV UTF-8."
    ),
    "workbook_too_large": _l(
        "%(filename)s unpacks to %(size_mb)s MB, more than the %(limit_mb)s MB accepted. "
        "Delete unused sheets, pictures and formatting, or save the data as CSV."
    ),
    "workbook_compression_too_high": _l(
        "%(filename)s was rejected because its part %(member)s is compressed %(ratio)s to 1, "
        "but at most %(limit)s to 1 is accepted. Save it again from Excel or WPS, or as CSV."
    ),
    "too_many_rows": _l("Sheet %(sheet)s has more than %(limit)s rows. Delete the empty rows below the data and try again."),
    "header_not_found": _l(
        "No header row found in the first %(rows)s rows of sheet %(sheet)s. Expected columns such as %(expected)s."
    ),
    "missing_column": _l("Required column %(column)s is missing."),
    "duplicate_column": _l("Columns %(column)s and %(other)s name the same field. Keep one of them."),
    "unknown_column": _l("Column %(column)s is not read by the import and was ignored."),
    "unnamed_column": _l("Column %(position)s contains data but has no header, so it was ignored."),
    "sheet_missing": _l("The file has no sheet %(sheet)s, so nothing was imported for it."),
    "sheet_ignored": _l("Sheet %(sheet)s was not recognised and was ignored."),
    "no_roster_sheet": _l("The file contains none of the sheets %(sheets)s, and no sheet has their header row."),
    # Values in general
    "missing_value": _l("%(column)s is empty."),
    "invalid_date": _l("%(value)s is not a date. Write it as 1965-03-12, 1965.03 or 1965年3月."),
    "ambiguous_date": _l(
        "%(value)s is ambiguous because Excel stores 1965.10 as 1965.1, so it may mean %(first)s or %(second)s. "
        "Format the cell as text and write the month with two digits."
    ),
    "invalid_number": _l("%(value)s is not a whole number."),
    "number_out_of_range": _l("%(value)s is outside the range %(minimum)s to %(maximum)s."),
    "value_too_long": _l("%(column)s has %(length)s characters, but at most %(maximum)s fit. Shorten it."),
    "invisible_characters_removed": _l(
        "%(column)s contained invisible characters (zero-width spaces or text-direction marks), which were removed."
    ),
    "control_characters_removed": _l("%(column)s contained control characters, which were removed."),
    "invalid_unicode": _l(
        "%(column)s contains a broken character, shown as %(replacement)s in %(value)s. Type the cell again."
    ),
    "date_expanded": _l("%(value)s names no day, so %(date)s was used."),
    "date_after_as_of": _l("Date %(date)s is after the as-of date %(as_of)s."),
    "duplicate_row": _l("This row repeats row %(first_row)s and was merged into it."),
    # ID numbers
    "id_excel_number": _l(
        "Excel turned ID number %(value)s into a number, so its last digits are lost. "
        "Format the column as text and type the full ID number again."
    ),
    "id_stored_as_number": _l(
        "ID number %(value)s is stored as a number. It is complete, but Excel keeps only 15 digits of a number "
        "typed there, so format the column as text."
    ),
    "id_number_may_be_rounded": _l(
        "ID number %(value)s is stored as a number that a spreadsheet may have rounded, so it cannot be trusted. "
        "Format the column as text and type the full ID number again."
    ),
    "id_legacy_15": _l("ID number %(value)s has the old 15-digit format. Enter the 18-digit number."),
    "id_invalid_length": _l("ID number %(value)s has %(length)s characters; expected 18."),
    "id_invalid_characters": _l("ID number %(value)s may contain only digits and a final X."),
    "id_invalid_region": _l("ID number %(value)s starts with region code %(region)s, which names no province."),
    "id_invalid_birth_date": _l("ID number %(value)s contains %(birth)s, which is not a valid birth date."),
    "id_checksum": _l("Invalid ID number %(value)s: checksum digit should be %(expected)s."),
    "id_reformatted": _l("ID number %(value)s was read as %(normalised)s. Correct it in the sheet."),
    "duplicate_id_number": _l(
        "ID number %(value)s also appears in row %(rows)s. An expert belongs to one group only, so keep one row."
    ),
    "implausible_birth_date": _l(
        "The ID number gives birth date %(birth)s, age %(age)s on the as-of date. Check the ID number."
    ),
    # Person
    "sex_filled_from_id": _l("Sex is empty, so %(sex)s was taken from the ID number."),
    "invalid_sex": _l("Sex %(value)s is neither 男 nor 女, so %(sex)s was taken from the ID number."),
    "sex_mismatch": _l("Sex %(value)s contradicts the ID number, which gives %(id_sex)s. Check both."),
    "birth_date_filled_from_id": _l("Birth date is empty, so %(birth)s was taken from the ID number."),
    "birth_date_unreadable": _l("Birth date %(value)s cannot be read, so %(birth)s from the ID number was used."),
    "birth_date_mismatch": _l("Birth date %(value)s contradicts the ID number, which gives %(id_birth)s. Check both."),
    # Title and service
    "unknown_title": _l(
        "Title %(value)s is unknown, so its level cannot be decided. Write a title such as 教授, 副研究员 or 高级工程师."
    ),
    "years_of_service_out_of_range": _l(
        "Years of service %(value)s is more than %(maximum)s. Write the number of years, not a year."
    ),
    "implausible_years_of_service": _l(
        "%(value)s years of service is implausible at age %(age)s. Check the years and the ID number."
    ),
    # Pool placement
    "unknown_group": _l("Professional group %(value)s is unknown."),
    "group_alias_mapped": _l("Professional group %(value)s was read as %(group)s."),
    "unknown_sub_pool": _l("Sub-pool %(value)s is unknown; expected 法医类, 物证类, 声像资料 or 环境损害."),
    "sub_pool_alias_mapped": _l("Sub-pool %(value)s was read as %(sub_pool)s."),
    "sub_pool_inferred": _l("Sub-pool is empty, so %(sub_pool)s was inferred from group %(group)s."),
    "sub_pool_mismatch": _l("Group %(group)s belongs to sub-pool %(expected)s, not %(value)s."),
    # Employer
    "employer_type_missing": _l("Employer type is empty."),
    "unknown_employer_type": _l("Employer type %(value)s is unknown and was left empty."),
    "employer_type_mismatch": _l(
        "The employer is a registered appraisal institution, but the employer type is %(value)s; expected %(expected)s."
    ),
    "employer_not_in_registry": _l("Employer %(value)s is not in the institution registry."),
    "employer_out_of_province": _l(
        "Employer %(value)s is outside Beijing (%(district)s). "
        "Confirm that the expert is an influential appraiser from another province."
    ),
    "licence_missing": _l("The employer is an appraisal institution, but the appraiser licence number is empty."),
    "invalid_licence_number": _l("Licence number %(value)s should be 6 to 20 letters or digits, so it was left empty."),
    "duplicate_licence_number": _l("Licence number %(value)s also appears in row %(rows)s under another ID number."),
    # Recommendation and term
    "recommendation_missing": _l("Recommendation is empty."),
    "unknown_recommendation": _l("Recommendation %(value)s is of no known kind and was kept as written."),
    "term_missing": _l("Term start and term end are empty."),
    "term_start_missing": _l("Term start is empty."),
    "term_end_inferred": _l("Term end is empty, so %(term_end)s was inferred from the five-year term."),
    "term_end_before_start": _l("Term end %(value)s is before term start %(start)s."),
    "term_length_unusual": _l("The term from %(start)s to %(value)s does not last %(years)s years."),
    # Contact details
    "invalid_phone": _l("Mobile number %(value)s is not 11 digits starting with 1, so it was left empty."),
    "invalid_email": _l("E-mail address %(value)s is invalid, so it was left empty."),
    # Conflicts and unavailability
    "expert_not_found": _l("No expert with ID number %(value)s is in the roster or the pool."),
    "expert_not_found_rejected_name": _l(
        "No imported expert has ID number %(value)s. A roster row of the same name was rejected (row %(rows)s), "
        "so fix that row first."
    ),
    "expert_row_rejected": _l("The roster row of this expert was rejected (row %(rows)s). Fix that row first."),
    "expert_name_mismatch": _l("Name %(value)s differs from %(roster_name)s, the roster name for this ID number."),
    "unknown_target_type": _l("Target type %(value)s is neither 单位 nor 专家."),
    "relation_unclassified": _l("Relation %(value)s is of no known kind and was kept as written."),
    "relation_target_mismatch": _l("Relation %(value)s needs target type %(expected)s."),
    "target_institution_not_in_registry": _l("Institution %(value)s is not in the institution registry."),
    "target_expert_unreadable": _l(
        "Write the other expert as a name with the last four ID characters, such as 郭琴（4362）, not %(value)s."
    ),
    "target_expert_not_found": _l("No expert matches %(value)s."),
    "target_expert_rejected": _l("The roster row of %(value)s was rejected (row %(rows)s). Fix that row first."),
    "target_expert_ambiguous": _l("%(count)s experts match %(value)s. Add the last four characters of the ID number."),
    "target_expert_by_name_only": _l(
        "%(value)s gives only a name, so it was matched to the only expert of that name (ID ending %(id_suffix)s). "
        "Add the last four ID characters."
    ),
    "target_is_self": _l("An expert cannot be in conflict with themself."),
    "employment_end_missing": _l("No date of leaving the former employer is given, so the employment counts as recent."),
    "end_before_start": _l("End date %(value)s is before start date %(start)s."),
    # Registry
    "duplicate_institution": _l("Institution %(value)s also appears in row %(rows)s."),
    "duplicate_credit_code": _l("Credit code %(value)s also appears in row %(rows)s."),
    "duplicate_sequence_number": _l("Sequence number %(value)s also appears in row %(rows)s."),
    "invalid_credit_code": _l(
        "Credit code %(value)s should be 18 digits or capital letters other than I, O, S, V and Z, so it was left empty."
    ),
    "institution_licence_missing": _l("The licence number is empty, but a Beijing institution must hold a licence."),
    "licence_missing_out_of_province": _l("The licence number of this institution from another province is empty."),
    "unknown_practice_category": _l("Practice category %(category)s is unknown and was left out."),
    "unknown_district": _l("District %(value)s is no Beijing district and is not marked 外省市."),
    "invalid_yes_no": _l("%(value)s should be 有 or 无, so it was left empty."),
}

STATUS_REASON_MESSAGES = {
    "title_below_senior": _l("Title below associate senior."),
    "service_under_10_years": _l("Fewer than 10 years of appraisal-related work."),
    "over_70": _l("Over 70: may serve only after a recorded decision."),
    "term_expired": _l("The term has ended."),
    "term_not_started": _l("The term has not started yet."),
}

SKIPPED_ROW_MESSAGES = {
    "blank": _l("Blank row"),
    "title": _l("Title row above the header"),
    "totals": _l("Totals row"),
    "duplicate": _l("Repeats an earlier row"),
}

_UNKNOWN_PROBLEM = _l("Problem %(code)s with value %(value)s.")
_ROW_PREFIX = _l("Row %(row)s: %(message)s")
# Joins row numbers and other lists inside a message; Chinese uses 、.
_LIST_SEPARATOR = _l(", ")


def format_problem(problem: Problem) -> str:
    """Render a problem's message in the current locale."""
    template = PROBLEM_MESSAGES.get(problem.code, _UNKNOWN_PROBLEM)
    params = {
        "code": problem.code,
        "value": problem.value or "",
        "column": problem.column or "",
        **{name: _param_text(value) for name, value in problem.params.items()},
    }
    return str(template) % params


def format_problem_at_row(problem: Problem) -> str:
    """Render a problem with its row number in front, when it has one."""
    message = format_problem(problem)
    if problem.row is None:
        return message
    return str(_ROW_PREFIX) % {"row": problem.row, "message": message}


def format_status_reason(reason: str) -> str:
    """Render why an expert is not active, or the code itself if it is unknown."""
    template = STATUS_REASON_MESSAGES.get(reason)
    return str(template) if template is not None else reason


def format_skipped_row(skipped: SkippedRow) -> str:
    template = SKIPPED_ROW_MESSAGES.get(skipped.reason)
    return str(template) if template is not None else skipped.reason


def _param_text(value: object) -> str:
    if isinstance(value, list | tuple):
        return str(_LIST_SEPARATOR).join(str(item) for item in value)
    return str(value)
