"""The procedure catalogue: the shipped data is valid and says what the issue asks; checklist()
and work_allowed() behave; and a broken catalogue is refused, each breakage with a problem."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server.domain.catalogue import (
    COMMON,
    DEFAULT_PATH,
    LANGUAGES,
    Catalogue,
    CatalogueError,
    Text,
    load,
    parse,
    validate,
)

ARABIC = re.compile(r"[\u0600-\u06FF]")


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load()


# ---------------------------------------------------------------------------------------------
# The shipped catalogue


def test_the_shipped_catalogue_validates_and_loads(catalogue: Catalogue) -> None:
    assert validate(shipped()) == []
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}\.\d+", catalogue.version)
    assert load() is catalogue  # cached
    assert load(DEFAULT_PATH) == catalogue


def test_the_six_procedure_kinds_and_three_titles(catalogue: Catalogue) -> None:
    assert set(catalogue.procedures) == {
        "first_application",
        "renewal",
        "change_of_situation",
        "duplicate",
        "travel_document",
        "change_of_status",
    }
    assert {"temporary_card", "multi_year_card", "resident_card"} <= set(catalogue.titles)
    for procedure_id in ("change_of_situation", "duplicate", "travel_document"):
        assert not catalogue.procedures[procedure_id].needs_ground
        assert catalogue.grounds_for(procedure_id) == []
    for procedure_id in ("first_application", "renewal", "change_of_status"):
        assert catalogue.procedures[procedure_id].needs_ground
        assert catalogue.procedures[procedure_id].title_choice
        assert catalogue.grounds_for(procedure_id)


@pytest.mark.parametrize(
    ("article", "ground_id", "usual_title"),
    [
        ("L.423-7", "parent_of_french_child", "temporary_card"),
        ("L.423-1", "spouse_of_french_national", "temporary_card"),
        ("L.423-23", "personal_family_ties", "temporary_card"),
        ("L.424-1", "refugee", "resident_card"),
        ("L.424-9", "subsidiary_protection", "multi_year_card"),
        ("L.422-1", "student", "temporary_card"),
        ("L.421-1", "employee", "temporary_card"),
        ("L.421-3", "temporary_worker", "temporary_card"),
        ("L.425-9", "health", "temporary_card"),
        ("L.435-1", "exceptional_admission", "temporary_card"),
        ("L.431-2", "asylum_pending", "temporary_card"),
    ],
)
def test_the_grounds_of_the_issue_with_their_articles(
    catalogue: Catalogue, article: str, ground_id: str, usual_title: str
) -> None:
    ground = catalogue.grounds[ground_id]
    assert (ground.ceseda, ground.reference) == (article, "verified")
    assert ground.titles[0] == usual_title
    assert article in ground.source.title
    assert ground.source.url.startswith("https://www.legifrance.gouv.fr/codes/texte_lc/LEGITEXT000006070158")


def test_protection_grounds_lead_to_the_right_cards(catalogue: Catalogue) -> None:
    assert catalogue.grounds["refugee"].titles == ("resident_card",)
    assert catalogue.grounds["subsidiary_protection"].titles[0] == "multi_year_card"
    assert "4" in catalogue.titles["multi_year_card"].duration("fr")
    for ground_id in ("refugee", "subsidiary_protection", "stateless"):
        ids = {ref.piece for ref in catalogue.grounds[ground_id].pieces}
        assert {"protection_decision", "ofpra_civil_status_documents"} <= ids
        assert "passport" not in ids  # a protected person is not asked for their country's passport


def test_stateless_and_long_term_resident_are_present(catalogue: Catalogue) -> None:
    for ground_id in ("stateless", "long_term_resident"):
        ground = catalogue.grounds[ground_id]
        assert ground.reference in ("verified", "to_be_checked")
    assert "resident_card" in catalogue.grounds["long_term_resident"].titles


def test_uncertain_references_say_so(catalogue: Catalogue) -> None:
    uncertain = [g for g in catalogue.grounds.values() if g.reference == "to_be_checked"]
    assert uncertain, "the catalogue is expected to flag at least one reference to be checked"
    for ground in uncertain:
        assert ground.ceseda == "to be checked"
        assert "vérifier" in ground.source.title
    for ground in catalogue.grounds.values():
        if ground.reference == "verified":
            assert re.fullmatch(r"[LR]\.\d{3}-\d+(-\d+)?", ground.ceseda)


def test_several_grounds_and_asylum_are_possible_together(catalogue: Catalogue) -> None:
    # What ANEF refuses: a request during asylum (L.431-2) that also invokes another ground.
    first = [g.id for g in catalogue.grounds_for("first_application")]
    assert "asylum_pending" in first and "parent_of_french_child" in first
    items = catalogue.checklist("first_application", ["asylum_pending", "parent_of_french_child"])
    by_id = {item.piece.id: item for item in items}
    assert by_id["passport"].optional is False  # optional for asylum, required for the parent ground
    assert by_id["passport"].reasons == ("asylum_pending", "parent_of_french_child")
    assert "asylum_claim_certificate" in by_id


def test_a_renewal_may_ask_for_a_multi_year_or_resident_card(catalogue: Catalogue) -> None:
    assert catalogue.procedures["renewal"].title_choice
    renewal_titles = {t for g in catalogue.grounds_for("renewal") for t in g.titles}
    assert {"multi_year_card", "resident_card"} <= renewal_titles


def test_every_procedure_asks_for_what_it_needs(catalogue: Catalogue) -> None:
    def ids(procedure_id: str) -> set[str]:
        return {ref.piece for ref in catalogue.procedures[procedure_id].pieces if not ref.optional}

    assert "loss_or_theft_declaration" in ids("duplicate")
    assert "residence_card" in ids("renewal")
    assert "residence_card" in ids("travel_document")
    assert {r.piece for r in catalogue.procedures["change_of_situation"].pieces} >= {
        "proof_of_address",
        "civil_status_change_document",
    }


def test_health_certificate_goes_to_the_ofii_doctor(catalogue: Catalogue) -> None:
    pieces = {ref.piece for ref in catalogue.grounds["health"].pieces}
    assert "ofii_medical_certificate" in pieces
    help_ = catalogue.pieces["ofii_medical_certificate"].help
    assert "OFII" in help_("fr") and "OFII" in help_("en") and "OFII" in help_("ar")


def test_work_allowed_is_honest(catalogue: Catalogue) -> None:
    grounds = catalogue.grounds
    assert grounds["refugee"].work_allowed
    assert grounds["parent_of_french_child"].work_allowed
    assert grounds["subsidiary_protection"].work_allowed
    assert not grounds["exceptional_admission"].work_allowed
    assert not grounds["asylum_pending"].work_allowed
    # where the answer is uncertain or limited, a note says so in every language
    for ground_id in ("health", "personal_family_ties", "student", "domestic_violence_victim"):
        note = grounds[ground_id].work_note
        assert note is not None and all(note(lang) for lang in LANGUAGES)
    for ground in grounds.values():
        if not ground.work_allowed:
            assert ground.work_note is not None, f"{ground.id}: say why work is not allowed"


def test_work_allowed_over_several_grounds(catalogue: Catalogue) -> None:
    assert catalogue.work_allowed(["exceptional_admission", "parent_of_french_child"]) is True
    assert catalogue.work_allowed(["exceptional_admission", "health"]) is False
    assert catalogue.work_allowed([]) is False
    with pytest.raises(KeyError):
        catalogue.work_allowed(["nope"])


def every_text(data: dict[str, Any]) -> list[tuple[str, Any]]:
    texts: list[tuple[str, Any]] = []
    for key, fmt in data["formats"].items():
        texts.append((f"format {key}.label", fmt["label"]))
    for section, fields in {
        "procedures": ("label", "description"),
        "titles": ("label", "duration"),
        "categories": ("label",),
        "grounds": ("label", "situation", "work_note"),
        "pieces": ("label", "help"),
    }.items():
        for item in data[section]:
            for field in fields:
                if field in item:
                    texts.append((f"{section} {item['id']}.{field}", item[field]))
    return texts


def test_every_text_is_in_every_language() -> None:
    texts = every_text(shipped())
    assert len(texts) > 150
    for where, text in texts:
        assert set(text) == set(LANGUAGES), where
        for lang in LANGUAGES:
            assert text[lang].strip(), f"{where} [{lang}]"
        assert ARABIC.search(text["ar"]), f"{where}: the Arabic text has no Arabic script"
        if len(text["fr"]) > 40:
            assert text["fr"] != text["en"], f"{where}: the English is a copy of the French"


def test_pieces_accept_phone_photos_and_pdfs(catalogue: Catalogue) -> None:
    assert catalogue.media_types("passport") == {
        "application/pdf",
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/heic",
        "image/heif",
    }
    assert "application/pdf" not in catalogue.media_types("identity_photo")
    for piece in catalogue.pieces.values():
        assert "image/jpeg" in catalogue.media_types(piece.id)


def test_ground_piece_lists_are_distinct(catalogue: Catalogue) -> None:
    # Both protections are proved by the same OFPRA / CNDA papers; every other list is its own.
    same_papers = {frozenset({"refugee", "subsidiary_protection"})}
    seen: dict[frozenset[tuple[str, bool]], str] = {}
    for ground in catalogue.grounds.values():
        key = frozenset((r.piece, r.optional) for r in ground.pieces)
        if key in seen:
            assert frozenset({seen[key], ground.id}) in same_papers, f"{ground.id} asks what {seen[key]} asks"
        seen[key] = ground.id


def test_text_falls_back_to_french() -> None:
    text = Text(fr="bonjour", en="hello", ar="مرحبا")
    assert (text("fr"), text("en"), text("ar"), text("de")) == ("bonjour", "hello", "مرحبا", "bonjour")


# ---------------------------------------------------------------------------------------------
# checklist() on a small catalogue whose every answer is known


def t(words: str) -> dict[str, str]:
    return {"fr": words, "en": words, "ar": words}


def ref(piece: str, optional: bool = False) -> dict[str, Any]:
    return {"piece": piece, "optional": optional}


def tiny() -> dict[str, Any]:
    def procedure(ident: str, needs_ground: bool, pieces: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": ident,
            "label": t(ident),
            "description": t(ident),
            "needs_ground": needs_ground,
            "title_choice": needs_ground,
            "pieces": pieces,
        }

    def ground(ident: str, procedures: list[str], work: bool, pieces: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": ident,
            "label": t(ident),
            "situation": t(ident),
            "ceseda": "L.423-7",
            "reference": "verified",
            "source": {"title": "CESEDA, article L.423-7", "url": "https://www.legifrance.gouv.fr/"},
            "procedures": procedures,
            "category": "family",
            "titles": ["temporary_card"],
            "work_allowed": work,
            "pieces": pieces,
        }

    return {
        "version": "2026-01-01.1",
        "languages": ["fr", "en", "ar"],
        "formats": {
            "pdf": {"label": t("PDF"), "media_types": ["application/pdf"]},
            "jpeg": {"label": t("JPEG"), "media_types": ["image/jpeg"]},
        },
        "procedures": [
            procedure("first_application", True, []),
            procedure("renewal", True, [ref("residence")]),
            procedure("change_of_situation", False, [ref("address", True)]),
            procedure("duplicate", False, [ref("declaration")]),
            procedure("travel_document", False, [ref("residence")]),
            procedure("change_of_status", True, [ref("residence")]),
        ],
        "titles": [
            {"id": i, "label": t(i), "duration": t(i), "kind": k}
            for i, k in [
                ("temporary_card", "temporary"),
                ("multi_year_card", "multi_year"),
                ("resident_card", "resident"),
            ]
        ],
        "categories": [{"id": "family", "label": t("family")}],
        "grounds": [
            ground(
                "g1",
                ["first_application", "renewal", "change_of_status"],
                False,
                [ref("passport"), ref("address"), ref("extra", True)],
            ),
            ground("g2", ["renewal"], True, [ref("passport", True), ref("extra"), ref("residence", True)]),
        ],
        "pieces": [
            {"id": i, "label": t(i), "help": t(i), "formats": ["pdf", "jpeg"] if i != "photo" else ["jpeg"]}
            for i in ("residence", "address", "declaration", "photo", "passport", "extra")
        ],
        "common_pieces": [ref("photo"), ref("address", True)],
    }


def summary(cat: Catalogue, procedure: str, grounds: list[str]) -> list[tuple[str, bool, tuple[str, ...]]]:
    return [(i.piece.id, i.optional, i.reasons) for i in cat.checklist(procedure, grounds)]


def test_the_tiny_catalogue_is_valid() -> None:
    assert validate(tiny()) == []


def test_checklist_unites_sources_in_order_and_required_wins() -> None:
    cat = parse(tiny())
    assert summary(cat, "renewal", ["g1", "g2"]) == [
        ("residence", False, ("renewal", "g2")),  # the procedure's own first
        ("photo", False, (COMMON,)),  # then the common pieces
        ("address", False, (COMMON, "g1")),  # optional in common, required by g1
        ("passport", False, ("g1", "g2")),  # required by g1, optional for g2
        ("extra", False, ("g1", "g2")),  # optional for g1, required by g2
    ]


def test_checklist_keeps_optional_when_every_source_says_so() -> None:
    cat = parse(tiny())
    assert summary(cat, "renewal", ["g2"]) == [
        ("residence", False, ("renewal", "g2")),
        ("photo", False, (COMMON,)),
        ("address", True, (COMMON,)),
        ("passport", True, ("g2",)),
        ("extra", False, ("g2",)),
    ]


def test_checklist_without_a_ground_has_no_common_pieces() -> None:
    cat = parse(tiny())
    assert summary(cat, "renewal", []) == [("residence", False, ("renewal",))]
    assert summary(cat, "duplicate", []) == [("declaration", False, ("duplicate",))]
    assert summary(cat, "first_application", []) == []


def test_checklist_counts_a_repeated_ground_once() -> None:
    cat = parse(tiny())
    assert summary(cat, "first_application", ["g1", "g1"]) == summary(cat, "first_application", ["g1"])
    assert summary(cat, "first_application", ["g1"]) == [
        ("photo", False, (COMMON,)),
        ("address", False, (COMMON, "g1")),
        ("passport", False, ("g1",)),
        ("extra", True, ("g1",)),
    ]


def test_checklist_refuses_unknown_or_misplaced_grounds() -> None:
    cat = parse(tiny())
    with pytest.raises(KeyError):
        cat.checklist("nope", [])
    with pytest.raises(KeyError):
        cat.checklist("renewal", ["nope"])
    with pytest.raises(ValueError, match="g2"):
        cat.checklist("first_application", ["g2"])
    with pytest.raises(ValueError):
        cat.checklist("duplicate", ["g1"])


def test_tiny_work_allowed_grounds_for_and_media_types() -> None:
    cat = parse(tiny())
    assert cat.work_allowed(["g1"]) is False
    assert cat.work_allowed(["g1", "g2"]) is True
    assert [g.id for g in cat.grounds_for("renewal")] == ["g1", "g2"]
    assert [g.id for g in cat.grounds_for("first_application")] == ["g1"]
    assert cat.media_types("photo") == {"image/jpeg"}
    assert cat.media_types("passport") == {"image/jpeg", "application/pdf"}


def test_checklist_on_the_shipped_catalogue(catalogue: Catalogue) -> None:
    items = catalogue.checklist("renewal", ["parent_of_french_child", "personal_family_ties"])
    ids = [i.piece.id for i in items]
    assert ids[0] == "residence_card"
    assert len(ids) == len(set(ids))
    passport = next(i for i in items if i.piece.id == "passport")
    assert passport.reasons == ("parent_of_french_child", "personal_family_ties")
    assert "identity_photo" in ids and "child_upbringing_proof" in ids and "family_ties_proof" in ids
    for procedure in catalogue.procedures.values():
        for ground in catalogue.grounds_for(procedure.id):
            assert catalogue.checklist(procedure.id, [ground.id])


# ---------------------------------------------------------------------------------------------
# Broken catalogues: each breakage must produce a problem (so the start-up fails)


def ground_of(data: dict[str, Any], ident: str) -> dict[str, Any]:
    found: dict[str, Any] = next(g for g in data["grounds"] if g["id"] == ident)
    return found


def piece_of(data: dict[str, Any], ident: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in data["pieces"] if p["id"] == ident)
    return found


def _del_arabic(d: dict[str, Any]) -> None:
    del ground_of(d, "refugee")["label"]["ar"]


def _blank_english(d: dict[str, Any]) -> None:
    piece_of(d, "passport")["help"]["en"] = "   "


def _text_is_a_string(d: dict[str, Any]) -> None:
    d["procedures"][0]["description"] = "Première demande"


def _unknown_ground_piece(d: dict[str, Any]) -> None:
    ground_of(d, "student")["pieces"].append({"piece": "visa_photo", "optional": False})


def _unknown_common_piece(d: dict[str, Any]) -> None:
    d["common_pieces"].append({"piece": "selfie", "optional": True})


def _unknown_procedure_piece(d: dict[str, Any]) -> None:
    d["procedures"][3]["pieces"][0]["piece"] = "police_report"


def _unknown_format(d: dict[str, Any]) -> None:
    piece_of(d, "passport")["formats"].append("docx")


def _invented_article(d: dict[str, Any]) -> None:
    ground_of(d, "health")["ceseda"] = "L.999"


def _article_outside_the_code(d: dict[str, Any]) -> None:
    ground_of(d, "health")["ceseda"] = "L.999-1"


def _to_be_checked_but_verified(d: dict[str, Any]) -> None:
    ground_of(d, "stateless")["ceseda"] = "to be checked"


def _article_but_to_be_checked(d: dict[str, Any]) -> None:
    ground_of(d, "stateless")["reference"] = "to_be_checked"


def _unknown_reference_status(d: dict[str, Any]) -> None:
    ground_of(d, "stateless")["reference"] = "probably"


def _to_be_checked_without_saying_what(d: dict[str, Any]) -> None:
    ground_of(d, "domestic_violence_victim")["source"]["title"] = "CESEDA"


def _duplicate_ground_id(d: dict[str, Any]) -> None:
    d["grounds"].append(copy.deepcopy(ground_of(d, "refugee")))


def _duplicate_piece_id(d: dict[str, Any]) -> None:
    d["pieces"].append(copy.deepcopy(piece_of(d, "passport")))


def _not_snake_case(d: dict[str, Any]) -> None:
    ground_of(d, "refugee")["id"] = "Refugee-Status"


def _unused_piece(d: dict[str, Any]) -> None:
    d["pieces"].append({"id": "horoscope", "label": t("x"), "help": t("x"), "formats": ["pdf"]})


def _http_url(d: dict[str, Any]) -> None:
    ground_of(d, "refugee")["source"]["url"] = "http://www.legifrance.gouv.fr/"


def _not_a_url(d: dict[str, Any]) -> None:
    ground_of(d, "refugee")["source"]["url"] = "Légifrance"


def _no_version(d: dict[str, Any]) -> None:
    del d["version"]


def _ground_in_a_procedure_without_grounds(d: dict[str, Any]) -> None:
    ground_of(d, "refugee")["procedures"].append("travel_document")


def _unknown_procedure(d: dict[str, Any]) -> None:
    ground_of(d, "refugee")["procedures"].append("naturalisation")


def _missing_procedure_kind(d: dict[str, Any]) -> None:
    d["procedures"] = [p for p in d["procedures"] if p["id"] != "travel_document"]


def _missing_resident_card(d: dict[str, Any]) -> None:
    d["titles"] = [t for t in d["titles"] if t["id"] != "resident_card"]


def _procedure_without_grounds(d: dict[str, Any]) -> None:
    for g in d["grounds"]:
        g["procedures"] = [p for p in g["procedures"] if p != "change_of_status"]


def _unknown_category(d: dict[str, Any]) -> None:
    ground_of(d, "refugee")["category"] = "hero"


def _unknown_title(d: dict[str, Any]) -> None:
    ground_of(d, "refugee")["titles"] = ["golden_visa"]


def _work_allowed_not_a_boolean(d: dict[str, Any]) -> None:
    ground_of(d, "refugee")["work_allowed"] = "yes"


def _optional_not_a_boolean(d: dict[str, Any]) -> None:
    ground_of(d, "refugee")["pieces"][0]["optional"] = "no"


def _misspelt_field(d: dict[str, Any]) -> None:
    ground_of(d, "refugee")["pieces"][0]["optinal"] = True


def _missing_field(d: dict[str, Any]) -> None:
    del ground_of(d, "refugee")["situation"]


def _bad_work_note(d: dict[str, Any]) -> None:
    ground_of(d, "health")["work_note"] = {"fr": "À vérifier."}


def _bad_title_kind(d: dict[str, Any]) -> None:
    d["titles"][0]["kind"] = "forever"


def _bad_media_type(d: dict[str, Any]) -> None:
    d["formats"]["jpeg"]["media_types"] = ["jpeg"]


def _piece_asked_twice(d: dict[str, Any]) -> None:
    ground_of(d, "refugee")["pieces"].append({"piece": "protection_decision", "optional": True})


def _extra_language(d: dict[str, Any]) -> None:
    d["titles"][0]["label"]["de"] = "Aufenthaltskarte"


BREAKAGES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "missing translation": (_del_arabic, "Arabic"),
    "empty translation": (_blank_english, "English"),
    "text that is a plain string": (_text_is_a_string, "description"),
    "unknown piece in a ground": (_unknown_ground_piece, "visa_photo"),
    "unknown piece in common_pieces": (_unknown_common_piece, "selfie"),
    "unknown piece in a procedure": (_unknown_procedure_piece, "police_report"),
    "unknown format": (_unknown_format, "docx"),
    "invented-looking article": (_invented_article, "L.999"),
    "article outside the code's books": (_article_outside_the_code, "L.999-1"),
    "'to be checked' marked verified": (_to_be_checked_but_verified, "stateless"),
    "article marked to be checked": (_article_but_to_be_checked, "stateless"),
    "unknown reference status": (_unknown_reference_status, "probably"),
    "to be checked without saying what": (_to_be_checked_without_saying_what, "domestic_violence_victim"),
    "duplicate ground id": (_duplicate_ground_id, "refugee"),
    "duplicate piece id": (_duplicate_piece_id, "passport"),
    "id not snake_case": (_not_snake_case, "Refugee-Status"),
    "unused piece": (_unused_piece, "horoscope"),
    "http url": (_http_url, "http://"),
    "not a url": (_not_a_url, "Légifrance"),
    "no version": (_no_version, "version"),
    "ground in a procedure without grounds": (_ground_in_a_procedure_without_grounds, "travel_document"),
    "unknown procedure": (_unknown_procedure, "naturalisation"),
    "missing procedure kind": (_missing_procedure_kind, "travel_document"),
    "missing resident card": (_missing_resident_card, "resident_card"),
    "procedure that needs a ground has none": (_procedure_without_grounds, "change_of_status"),
    "unknown category": (_unknown_category, "hero"),
    "unknown title": (_unknown_title, "golden_visa"),
    "work_allowed not a boolean": (_work_allowed_not_a_boolean, "work_allowed"),
    "optional not a boolean": (_optional_not_a_boolean, "optional"),
    "misspelt field": (_misspelt_field, "optinal"),
    "missing field": (_missing_field, "situation"),
    "work note without every language": (_bad_work_note, "work_note"),
    "bad title kind": (_bad_title_kind, "forever"),
    "bad media type": (_bad_media_type, "'jpeg'"),
    "piece asked twice by one ground": (_piece_asked_twice, "protection_decision"),
    "extra language": (_extra_language, "'de'"),
}


@pytest.mark.parametrize("name", list(BREAKAGES))
def test_a_broken_catalogue_is_refused(name: str, tmp_path: Path) -> None:
    breakage, mentioned = BREAKAGES[name]
    data = shipped()
    breakage(data)
    problems = validate(data)
    assert problems, f"{name}: no problem found"
    assert any(mentioned in p for p in problems), problems
    with pytest.raises(CatalogueError) as refused:
        parse(data)
    assert refused.value.problems == problems
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CatalogueError):
        load(path)


def test_every_problem_is_reported_at_once() -> None:
    data = shipped()
    _del_arabic(data)
    _invented_article(data)
    _unused_piece(data)
    problems = validate(data)
    assert len(problems) >= 3
    assert str(len(problems)) in str(CatalogueError(problems))


@pytest.mark.parametrize("section", ["formats", "procedures", "titles", "categories", "grounds", "pieces"])
@pytest.mark.parametrize("garbage", [None, "x", 3, [], {}])
def test_validation_never_crashes_on_garbage(section: str, garbage: Any) -> None:
    data = shipped()
    data[section] = garbage
    assert validate(data)


@pytest.mark.parametrize("garbage", [None, [], "catalogue", {}, {"grounds": [1, None, "x"]}])
def test_validation_of_a_wrong_document(garbage: Any) -> None:
    assert validate(garbage)


def test_validation_survives_garbage_inside_items() -> None:
    data = shipped()
    data["grounds"].append({"id": "odd", "source": None, "procedures": None, "pieces": [None, 3]})
    data["pieces"].append(["not", "an", "object"])
    data["procedures"][0]["pieces"] = [{"piece": None}]
    data["common_pieces"] = None
    assert validate(data)


def test_invalid_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.json"
    path.write_text("{ not json", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not valid JSON"):
        load(path)
