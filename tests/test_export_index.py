"""The export's index.html reads as a document (issue 10, item 9): styled by a file
beside it (no inline style), the answers in the form's order with dates written
out, each piece by its name in the checklist's order, its files in the order added."""

from __future__ import annotations

import io
import re
import zipfile

from server.domain import catalogue, files
from server.web.texts import field_label

from . import samples


def exported(person) -> zipfile.ZipFile:
    response = person.client.get("/account/export")
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_the_index_is_styled_ordered_and_written_out(make_person) -> None:
    p = make_person()
    p.signup("Amina Export")
    file_id = p.start_file("change_of_situation")
    p.fill(file_id, "identity", family_name="Benali", given_names="Amina", birth_date="1990-05-01")
    p.fill(file_id, "address", street="1 rue de la Paix", postcode="93200", city="Saint-Denis")
    cat = catalogue.load()
    order = [i.piece.id for i in cat.checklist("change_of_situation", [])]
    pdf_pieces = [x for x in order if "application/pdf" in cat.media_types(x)]
    first, last = pdf_pieces[0], pdf_pieces[-1]
    # The last piece first, and three files in one go: the index follows the checklist and the choice.
    assert (
        p.upload(file_id, last, ("zz-dernier.pdf", samples.pdf(2100), "application/pdf")).status_code == 303
    )
    three = [(f"{n}-page.pdf", samples.pdf(2200 + n), "application/pdf") for n in (1, 2, 3)]
    assert p.upload(file_id, first, *three).status_code == 303

    archive = exported(p)
    index = archive.read("index.html").decode()
    assert '<link rel="stylesheet" href="style.css">' in index
    css = archive.read("style.css").decode()
    assert "font-family" in css and "unicode-bidi: isolate" in css
    assert "<style" not in index and " style=" not in index

    # Answers in the form's order, the birth date written out.
    labels = re.findall(r"<dt>([^<]+)</dt>", index.split("<h3>")[1])
    expected = [
        field_label(n)
        for n in files.FIELDS
        if n in {"family_name", "given_names", "birth_date", "street", "postcode", "city"}
    ]
    assert [label for label in labels if label in expected] == expected
    assert "1 mai 1990" in index and "1990-05-01" not in index

    # Pieces by name, in the checklist's order; files in the order chosen.
    headings = re.findall(r"<h4>([^<]+)</h4>", index)
    assert headings == [cat.pieces[x].label("fr") for x in order]
    assert index.index(cat.pieces[first].label("fr")) < index.index(cat.pieces[last].label("fr"))
    names = re.findall(r"<bdi>(\d-page\.pdf)</bdi>", index)
    assert names == ["1-page.pdf", "2-page.pdf", "3-page.pdf"]
    # Dates written out, never ISO outside attributes and file paths.
    visible = re.sub(r'(datetime|href)="[^"]*"', "", index)
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", visible)
    # The counted pages and the size in French figures.
    assert "1 page" in index and re.search(r"0,0 Mo", index)


def test_the_index_in_arabic_isolates_names(make_person) -> None:
    p = make_person()
    p.signup("أمينة", language="ar")
    file_id = p.start_file("change_of_situation")
    piece = catalogue.load().checklist("change_of_situation", [])[0].piece.id
    assert p.upload(file_id, piece, ("scan-2026.pdf", samples.pdf(), "application/pdf")).status_code == 303
    index = exported(p).read("index.html").decode()
    assert 'dir="rtl"' in index
    assert "<bdi>scan-2026.pdf</bdi>" in index
    assert re.search(r"<bdi>\d{4}-\d{6}</bdi>", index)
