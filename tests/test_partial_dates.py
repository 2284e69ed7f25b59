"""Dates known in part: put together, taken apart, checked and written out."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server import translation
from server.domain import files, partial_dates
from server.templating import partial_date
from server.web.date_fields import compose

boxes = st.text(alphabet="0123456789-~ab ", max_size=5)


@given(boxes, boxes, boxes, st.booleans())
def test_what_is_typed_comes_back_in_its_boxes(day: str, month: str, year: str, approx: bool) -> None:
    stored = partial_dates.compose(day, month, year, approx)
    d, m, y, a = partial_dates.split(stored)
    clean = ["".join(c for c in x if c not in "-~ ") for x in (day, month, year)]
    unpad = [str(int(x)) if x.isdigit() and len(x) <= 2 else x for x in clean[:2]]
    assert (d, m, y) == (unpad[0], unpad[1], clean[2])
    assert a == (approx and bool(stored))
    assert partial_dates.compose(d, m, y, a) == stored


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.sampled_from(["day", "month", "year"]),
)
def test_real_dates_at_each_precision(day: date, precision: str) -> None:
    d = str(day.day) if precision == "day" else ""
    m = str(day.month) if precision != "year" else ""
    stored = partial_dates.compose(d, m, str(day.year))
    found = partial_dates.parse(stored)
    assert found is not None and found.precision == precision and found.year == day.year
    if precision == "day":
        assert stored == day.isoformat()  # a whole date stays a plain ISO date
    assert partial_dates.problem(stored, partial=True, approximate=False) is None
    expected = None if precision == "day" else "field_date_whole"
    assert partial_dates.problem(stored, partial=False, approximate=False) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2019-02-30", "field_date"),
        ("2019-13", "field_date"),
        ("--14", "field_date_year"),
        ("19-03-14", "field_date_year"),
        ("12/04/1991", "field_date"),
        ("2019~", "field_date"),  # approximate, where the field does not allow it
        ("1850", "field_date"),
    ],
)
def test_what_is_not_a_date(value: str, code: str) -> None:
    assert partial_dates.problem(value, partial=True, approximate=False) == code


def test_fields_allow_parts_only_where_the_data_does() -> None:
    f = files.FIELDS
    assert f["entry_date"].partial and f["entry_date"].approximate
    assert f["loss_date"].partial and f["loss_date"].approximate
    assert not f["birth_date"].partial and not f["birth_date"].approximate  # the attestation's verifier
    assert not f["current_permit_expiry"].partial  # printed on the card; orders the inbox
    assert files.field_problem(f["entry_date"], "2019~") is None
    assert files.field_problem(f["birth_date"], "1990") == "field_date_whole"


@pytest.mark.parametrize(
    ("lang", "value", "text"),
    [
        ("fr", "2019-03-14", "14 mars 2019"),
        ("fr", "2019-03", "mars 2019"),
        ("fr", "2019", "2019"),
        ("fr", "2019-03~", "vers mars 2019"),
        ("en", "2019-03", "March 2019"),
        ("en", "2019~", "around 2019"),
        ("ar", "2019-03", "مارس 2019"),
        ("ar", "2019~", "حوالي 2019"),
        ("fr", "2019-1x", "2019-1x"),  # not a date yet: shown as typed
    ],
)
def test_written_out_in_the_readers_language(lang: str, value: str, text: str) -> None:
    token = translation.current.set(lang)
    try:
        assert partial_date(value) == text
    finally:
        translation.current.reset(token)


def test_boxes_from_a_form_become_one_value() -> None:
    fields = [files.FIELDS["entry_date"], files.FIELDS["birth_date"], files.FIELDS["family_name"]]
    got = compose(
        {
            "entry_date-day": "",
            "entry_date-month": "3",
            "entry_date-year": "2019",
            "entry_date-approx": "yes",
            "birth_date-day": "5",
            "birth_date-month": "11",
            "birth_date-year": "1990",
            "birth_date-approx": "yes",  # not offered for a birth date: ignored
            "family_name": "Diallo",
        },
        fields,
    )
    assert got == {"entry_date": "2019-03~", "birth_date": "1990-11-05", "family_name": "Diallo"}


def test_a_partial_date_through_the_form_and_on_check_answers(make_person) -> None:
    p = make_person()
    p.signup()
    file_id = p.start_file("first_application", ["personal_family_ties"])
    page = p.client.get(f"/files/{file_id}/situation")
    assert 'name="entry_date-year"' in page.text and 'name="entry_date-approx"' in page.text
    saved = p.fill(
        file_id, "situation", **{"entry_date-month": "3", "entry_date-year": "2019", "then": "stay"}
    )
    assert saved.status_code == 303
    again = p.client.get(f"/files/{file_id}/situation")
    assert (
        'name="entry_date-month" value="3"' in again.text and 'name="entry_date-day" value=""' in again.text
    )
    review = p.client.get(f"/files/{file_id}/review")
    assert "mars 2019" in review.text


def test_the_date_filter_writes_out_a_partial_date_instead_of_failing() -> None:
    from server.templating import date as date_filter

    token = translation.current.set("fr")
    try:
        assert date_filter("2019-03~") == "vers mars 2019"
        assert date_filter("2019-03-14") == "14 mars 2019"
    finally:
        translation.current.reset(token)
