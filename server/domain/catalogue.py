"""The procedure catalogue, from `server/data/catalogue.json`.

The catalogue is data, versioned with the code: the kinds of procedure, the residence titles, the
legal grounds with their CESEDA article and source, and the pieces each procedure and ground asks
for, every human text in French, English and Arabic. It is checked when loaded: `validate()` lists
every problem in plain sentences, and `parse()` / `load()` refuse a catalogue that has any, so a
broken catalogue stops the server at start-up instead of misleading an applicant.

Sésame, unlike ANEF, lets one request list several legal grounds (`checklist()` and
`work_allowed()` take a list), accepts a request while an asylum claim is pending (CESEDA
L.431-2), and lets a renewal ask for a multi-year or resident card (`title_choice`).

Pure standard library: the domain never imports the web layer.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LANGUAGES = ("fr", "en", "ar")
DEFAULT_PATH = Path(__file__).parent.parent / "data" / "catalogue.json"

PROCEDURE_IDS = (
    "first_application",
    "renewal",
    "change_of_situation",
    "duplicate",
    "travel_document",
    "change_of_status",
)
REQUIRED_TITLES = ("temporary_card", "multi_year_card", "resident_card")
TITLE_KINDS = ("temporary", "multi_year", "resident")
TO_BE_CHECKED = "to be checked"  # the `ceseda` value when the article is not certain
REFERENCES = ("verified", "to_be_checked")
COMMON = "common"  # the reason given for a piece asked by `common_pieces`

_ID = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_ARTICLE = re.compile(r"[LR]\.\d{3}-\d+(?:-\d+)?")
_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}\.\d+")
_URL = re.compile(r"https://[^\s/]+\.[^\s/]+(?:/\S*)?")
_MEDIA_TYPE = re.compile(r"[a-z]+/[a-z0-9][a-z0-9.+-]*")
_CHECK_WORDS = ("vérifier", "to be checked")
_LANGUAGE_NAMES = {"fr": "French", "en": "English", "ar": "Arabic"}
_ABSENT: Any = object()  # a missing field, already reported by the key check


# ---------------------------------------------------------------------------------------------
# The model


@dataclass(frozen=True)
class Text:
    """A text in every catalogue language."""

    fr: str
    en: str
    ar: str

    def __call__(self, lang: str) -> str:
        """The text in `lang`, or in French (the reference) for a language we do not have."""
        if lang in LANGUAGES:
            value: str = getattr(self, lang)
            return value
        return self.fr


@dataclass(frozen=True)
class PieceRef:
    piece: str
    optional: bool


@dataclass(frozen=True)
class Format:
    id: str
    label: Text
    media_types: tuple[str, ...]


@dataclass(frozen=True)
class Piece:
    id: str
    label: Text
    help: Text
    formats: tuple[str, ...]


@dataclass(frozen=True)
class Procedure:
    id: str
    label: Text
    description: Text
    needs_ground: bool
    title_choice: bool
    pieces: tuple[PieceRef, ...]


@dataclass(frozen=True)
class Title:
    id: str
    label: Text
    duration: Text
    kind: str


@dataclass(frozen=True)
class Category:
    id: str
    label: Text


@dataclass(frozen=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True)
class Ground:
    id: str
    label: Text
    situation: Text
    ceseda: str
    reference: str
    source: Source
    procedures: tuple[str, ...]
    category: str
    titles: tuple[str, ...]
    work_allowed: bool
    work_note: Text | None
    pieces: tuple[PieceRef, ...]


@dataclass(frozen=True)
class ChecklistItem:
    piece: Piece
    optional: bool
    reasons: tuple[str, ...]  # ids of the procedure / grounds (or COMMON) that ask for it


@dataclass(frozen=True)
class Catalogue:
    version: str
    formats: dict[str, Format]
    procedures: dict[str, Procedure]
    titles: dict[str, Title]
    categories: dict[str, Category]
    grounds: dict[str, Ground]
    pieces: dict[str, Piece]
    common_pieces: tuple[PieceRef, ...]

    def grounds_for(self, procedure_id: str) -> list[Ground]:
        """The grounds that may be invoked in a procedure, in file order."""
        return [g for g in self.grounds.values() if procedure_id in g.procedures]

    def checklist(self, procedure_id: str, ground_ids: Sequence[str]) -> list[ChecklistItem]:
        """The pieces a file asks for: the procedure's own, then (when a ground is chosen) the
        common ones, then each ground's, in that order. A piece appears once; it is required when
        any source requires it, and its reasons name every source that asks for it.

        Raises KeyError for an unknown procedure or ground, ValueError for a ground that cannot
        be invoked in that procedure."""
        procedure = self.procedures[procedure_id]
        chosen = list(dict.fromkeys(ground_ids))
        for ground_id in chosen:
            if procedure_id not in self.grounds[ground_id].procedures:
                raise ValueError(f"ground {ground_id!r} cannot be invoked in procedure {procedure_id!r}")
        sources: list[tuple[str, tuple[PieceRef, ...]]] = [(procedure.id, procedure.pieces)]
        if chosen:
            sources.append((COMMON, self.common_pieces))
            sources.extend((g, self.grounds[g].pieces) for g in chosen)
        optional: dict[str, bool] = {}
        reasons: dict[str, list[str]] = {}
        for reason, refs in sources:
            for ref in refs:
                optional[ref.piece] = optional.get(ref.piece, True) and ref.optional
                reasons.setdefault(ref.piece, []).append(reason)
        return [ChecklistItem(self.pieces[p], optional[p], tuple(reasons[p])) for p in optional]

    def media_types(self, piece_id: str) -> set[str]:
        """The media types accepted for a piece."""
        return {m for f in self.pieces[piece_id].formats for m in self.formats[f].media_types}

    def work_allowed(self, ground_ids: Sequence[str]) -> bool:
        """Whether the provisional attestation allows work: true if any chosen ground allows it."""
        return any(self.grounds[g].work_allowed for g in ground_ids)


class CatalogueError(ValueError):
    """A catalogue that does not validate; `problems` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        listed = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(f"the procedure catalogue has {len(self.problems)} problem(s):\n{listed}")


# ---------------------------------------------------------------------------------------------
# Validation

_KEYS: dict[str, tuple[set[str], set[str]]] = {  # section: (required keys, optional keys)
    "catalogue": (
        {"version", "languages", "formats", "procedures", "titles", "categories", "grounds", "pieces"}
        | {"common_pieces"},
        set(),
    ),
    "format": ({"label", "media_types"}, set()),
    "procedure": ({"id", "label", "description", "needs_ground", "title_choice", "pieces"}, set()),
    "title": ({"id", "label", "duration", "kind"}, set()),
    "category": ({"id", "label"}, set()),
    "ground": (
        {"id", "label", "situation", "ceseda", "reference", "source", "procedures", "category", "titles"}
        | {"work_allowed", "pieces"},
        {"work_note"},
    ),
    "piece": ({"id", "label", "help", "formats"}, set()),
    "piece reference": ({"piece", "optional"}, set()),
    "source": ({"title", "url"}, set()),
}


class _Validator:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.used_pieces: set[str] = set()

    def problem(self, sentence: str) -> None:
        self.problems.append(sentence)

    # -- shapes ---------------------------------------------------------------------------------

    def keys(self, where: str, kind: str, value: Mapping[str, Any]) -> None:
        required, optional = _KEYS[kind]
        for key in sorted(required - value.keys()):
            self.problem(f"{where} has no {key!r}")
        for key in sorted(value.keys() - required - optional):
            self.problem(f"{where} has an unknown field {key!r}")

    def text(self, where: str, value: Any) -> None:
        if value is _ABSENT:
            return
        if not isinstance(value, Mapping):
            self.problem(f"{where} must be a text in {', '.join(LANGUAGES)}, not {_kind(value)}")
            return
        for lang in LANGUAGES:
            entry = value.get(lang)
            if entry is None:
                self.problem(f"{where} has no {_LANGUAGE_NAMES[lang]} ({lang!r}) text")
            elif not isinstance(entry, str) or not entry.strip():
                self.problem(f"{where} has an empty {_LANGUAGE_NAMES[lang]} ({lang!r}) text")
        for lang in sorted(set(value) - set(LANGUAGES)):
            self.problem(f"{where} has a text in {lang!r}, which is not a catalogue language")

    def flag(self, where: str, value: Any) -> None:
        if value is _ABSENT:
            return
        if not isinstance(value, bool):
            self.problem(f"{where} must be true or false, not {_kind(value)}")

    def objects(self, section: str, value: Any) -> list[tuple[str, Mapping[str, Any]]]:
        """The (id, object) pairs of a list section, reporting bad, missing and duplicate ids."""
        if value is _ABSENT:
            return []
        if not isinstance(value, list):
            self.problem(f"{section!r} must be a list, not {_kind(value)}")
            return []
        if not value:
            self.problem(f"{section!r} is empty")
        seen: set[str] = set()
        found: list[tuple[str, Mapping[str, Any]]] = []
        for index, item in enumerate(value):
            where = f"{section}[{index}]"
            if not isinstance(item, Mapping):
                self.problem(f"{where} must be an object, not {_kind(item)}")
                continue
            ident = item.get("id")
            if not isinstance(ident, str) or not _ID.fullmatch(ident):
                self.problem(f"{where} has an id {ident!r} that is not snake_case (like 'first_application')")
                continue
            if ident in seen:
                self.problem(f"{section} has the id {ident!r} twice")
                continue
            seen.add(ident)
            found.append((ident, item))
        return found

    def ids(self, where: str, value: Any, known: Mapping[str, Any], what: str) -> list[str]:
        """A list of ids that must each name a known `what`, without repeats."""
        if value is _ABSENT:
            return []
        if not isinstance(value, list):
            self.problem(f"{where} must be a list of {what} ids, not {_kind(value)}")
            return []
        if not value:
            self.problem(f"{where} is empty")
        found: list[str] = []
        for ident in value:
            if not isinstance(ident, str) or ident not in known:
                self.problem(f"{where} names an unknown {what} {ident!r}")
            elif ident in found:
                self.problem(f"{where} names the {what} {ident!r} twice")
            else:
                found.append(ident)
        return found

    def refs(self, where: str, value: Any, pieces: Mapping[str, Any], *, may_be_empty: bool) -> None:
        if value is _ABSENT:
            return
        if not isinstance(value, list):
            self.problem(f"{where} must be a list of piece references, not {_kind(value)}")
            return
        if not value and not may_be_empty:
            self.problem(f"{where} is empty")
        seen: set[str] = set()
        for index, ref in enumerate(value):
            at = f"{where}[{index}]"
            if not isinstance(ref, Mapping):
                self.problem(f"{at} must be an object like {{'piece': 'passport', 'optional': false}}")
                continue
            self.keys(at, "piece reference", ref)
            piece = ref.get("piece", _ABSENT)
            if piece is _ABSENT:
                pass
            elif not isinstance(piece, str) or piece not in pieces:
                self.problem(f"{at} refers to an unknown piece {piece!r}")
            elif piece in seen:
                self.problem(f"{where} asks for the piece {piece!r} twice")
            else:
                seen.add(piece)
                self.used_pieces.add(piece)
            if "optional" in ref:
                self.flag(f"{at}.optional", ref["optional"])

    # -- sections -------------------------------------------------------------------------------

    def run(self, data: Mapping[str, Any]) -> None:
        self.keys("the catalogue", "catalogue", data)
        version = data.get("version", _ABSENT)
        if version is not _ABSENT and (not isinstance(version, str) or not _VERSION.fullmatch(version)):
            self.problem(f"the version {version!r} is not of the form YYYY-MM-DD.N (like '2026-11-29.1')")
        if "languages" in data and data["languages"] != list(LANGUAGES):
            self.problem(f"'languages' must be {list(LANGUAGES)!r}, not {data.get('languages')!r}")

        formats = self.formats(data.get("formats", _ABSENT))
        pieces = dict(self.objects("pieces", data.get("pieces", _ABSENT)))
        for ident, piece in pieces.items():
            where = f"piece {ident!r}"
            self.keys(where, "piece", piece)
            self.text(f"{where}: label", piece.get("label", _ABSENT))
            self.text(f"{where}: help", piece.get("help", _ABSENT))
            self.ids(f"{where}: formats", piece.get("formats", _ABSENT), formats, "format")

        procedures = dict(self.objects("procedures", data.get("procedures", _ABSENT)))
        for ident, procedure in procedures.items():
            where = f"procedure {ident!r}"
            self.keys(where, "procedure", procedure)
            self.text(f"{where}: label", procedure.get("label", _ABSENT))
            self.text(f"{where}: description", procedure.get("description", _ABSENT))
            self.flag(f"{where}: needs_ground", procedure.get("needs_ground", _ABSENT))
            self.flag(f"{where}: title_choice", procedure.get("title_choice", _ABSENT))
            self.refs(f"{where}: pieces", procedure.get("pieces", _ABSENT), pieces, may_be_empty=True)
        for ident in PROCEDURE_IDS:
            if ident not in procedures:
                self.problem(f"the procedure {ident!r} is missing")

        titles = dict(self.objects("titles", data.get("titles", _ABSENT)))
        for ident, title in titles.items():
            where = f"title {ident!r}"
            self.keys(where, "title", title)
            self.text(f"{where}: label", title.get("label", _ABSENT))
            self.text(f"{where}: duration", title.get("duration", _ABSENT))
            if "kind" in title and title["kind"] not in TITLE_KINDS:
                self.problem(f"{where}: kind {title.get('kind')!r} is not one of {', '.join(TITLE_KINDS)}")
        for ident in REQUIRED_TITLES:
            if ident not in titles:
                self.problem(f"the title {ident!r} is missing")

        categories = dict(self.objects("categories", data.get("categories", _ABSENT)))
        for ident, category in categories.items():
            self.keys(f"category {ident!r}", "category", category)
            self.text(f"category {ident!r}: label", category.get("label", _ABSENT))

        grounds = dict(self.objects("grounds", data.get("grounds", _ABSENT)))
        for ident, ground in grounds.items():
            self.ground(ident, ground, procedures, titles, categories, pieces)

        self.refs("common_pieces", data.get("common_pieces", _ABSENT), pieces, may_be_empty=True)

        for ident, procedure in procedures.items():
            if procedure.get("needs_ground") is True and not any(
                isinstance(g.get("procedures"), list) and ident in g["procedures"] for g in grounds.values()
            ):
                self.problem(f"procedure {ident!r} needs a legal ground, but no ground may be invoked in it")
        for ident in pieces:
            if ident not in self.used_pieces:
                self.problem(
                    f"piece {ident!r} is defined but no procedure, ground or common list asks for it"
                )

    def formats(self, value: Any) -> dict[str, Any]:
        if value is _ABSENT:
            return {}
        if not isinstance(value, Mapping) or not value:
            self.problem(f"'formats' must be a non-empty object of formats, not {_kind(value)}")
            return {}
        for ident, fmt in value.items():
            where = f"format {ident!r}"
            if not isinstance(ident, str) or not _ID.fullmatch(ident):
                self.problem(f"{where}: the id is not snake_case")
                continue
            if not isinstance(fmt, Mapping):
                self.problem(f"{where} must be an object, not {_kind(fmt)}")
                continue
            self.keys(where, "format", fmt)
            self.text(f"{where}: label", fmt.get("label", _ABSENT))
            media_types = fmt.get("media_types", _ABSENT)
            if media_types is _ABSENT:
                continue
            if not isinstance(media_types, list) or not media_types:
                self.problem(f"{where}: media_types must be a non-empty list")
                continue
            for media_type in media_types:
                if not isinstance(media_type, str) or not _MEDIA_TYPE.fullmatch(media_type):
                    self.problem(f"{where}: {media_type!r} is not a media type (like 'image/jpeg')")
        return dict(value)

    def ground(
        self,
        ident: str,
        ground: Mapping[str, Any],
        procedures: Mapping[str, Mapping[str, Any]],
        titles: Mapping[str, Any],
        categories: Mapping[str, Any],
        pieces: Mapping[str, Any],
    ) -> None:
        where = f"ground {ident!r}"
        self.keys(where, "ground", ground)
        self.text(f"{where}: label", ground.get("label", _ABSENT))
        self.text(f"{where}: situation", ground.get("situation", _ABSENT))
        if ground.get("work_note") is not None:
            self.text(f"{where}: work_note", ground.get("work_note", _ABSENT))
        self.flag(f"{where}: work_allowed", ground.get("work_allowed", _ABSENT))

        ceseda, reference = ground.get("ceseda", _ABSENT), ground.get("reference", _ABSENT)
        if reference is not _ABSENT and reference not in REFERENCES:
            self.problem(f"{where}: reference {reference!r} is not 'verified' or 'to_be_checked'")
        if ceseda is _ABSENT:
            pass
        elif ceseda == TO_BE_CHECKED:
            if reference != "to_be_checked":
                self.problem(f"{where}: the article is 'to be checked', so reference must be 'to_be_checked'")
        elif isinstance(ceseda, str) and _ARTICLE.fullmatch(ceseda):
            if ceseda[2] not in "12345678":
                self.problem(f"{where}: {ceseda!r} is not in the CESEDA, whose books run from 1 to 8")
            if reference != "verified":
                self.problem(f"{where}: article {ceseda!r} is given, so reference must be 'verified'")
        else:
            self.problem(
                f"{where}: ceseda {ceseda!r} is neither an article like 'L.423-7' nor {TO_BE_CHECKED!r}"
            )

        source = ground.get("source", _ABSENT)
        if source is _ABSENT:
            pass
        elif not isinstance(source, Mapping):
            self.problem(f"{where} needs a source {{'title': ..., 'url': ...}}")
        else:
            self.keys(f"{where}: source", "source", source)
            title, url = source.get("title", _ABSENT), source.get("url", _ABSENT)
            if title is _ABSENT:
                pass
            elif not isinstance(title, str) or not title.strip():
                self.problem(f"{where}: the source has no title")
            elif reference == "to_be_checked" and not any(w in title.lower() for w in _CHECK_WORDS):
                self.problem(f"{where}: the source title must say what is to be checked ('à vérifier : …')")
            if url is not _ABSENT and (not isinstance(url, str) or not _URL.fullmatch(url)):
                self.problem(f"{where}: the source url {url!r} is not an https:// address")

        for procedure_id in self.ids(
            f"{where}: procedures", ground.get("procedures", _ABSENT), procedures, "procedure"
        ):
            if procedures[procedure_id].get("needs_ground") is False:
                self.problem(f"{where}: procedure {procedure_id!r} takes no legal ground")
        category = ground.get("category", _ABSENT)
        if category is not _ABSENT and (not isinstance(category, str) or category not in categories):
            self.problem(f"{where}: unknown category {category!r}")
        self.ids(f"{where}: titles", ground.get("titles", _ABSENT), titles, "title")
        self.refs(f"{where}: pieces", ground.get("pieces", _ABSENT), pieces, may_be_empty=False)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def validate(data: Any) -> list[str]:
    """Every problem of a catalogue (decoded JSON), in readable sentences; [] if it is fine."""
    if not isinstance(data, Mapping):
        return [f"the catalogue must be a JSON object, not {_kind(data)}"]
    validator = _Validator()
    validator.run(data)
    return validator.problems


# ---------------------------------------------------------------------------------------------
# Building the model


def _text(value: Mapping[str, str]) -> Text:
    return Text(fr=value["fr"], en=value["en"], ar=value["ar"])


def _refs(value: list[Mapping[str, Any]]) -> tuple[PieceRef, ...]:
    return tuple(PieceRef(piece=r["piece"], optional=r["optional"]) for r in value)


def parse(data: Any) -> Catalogue:
    """The catalogue of decoded JSON; raises CatalogueError listing every problem."""
    problems = validate(data)
    if problems:
        raise CatalogueError(problems)
    return Catalogue(
        version=data["version"],
        formats={
            k: Format(id=k, label=_text(f["label"]), media_types=tuple(f["media_types"]))
            for k, f in data["formats"].items()
        },
        procedures={
            p["id"]: Procedure(
                id=p["id"],
                label=_text(p["label"]),
                description=_text(p["description"]),
                needs_ground=p["needs_ground"],
                title_choice=p["title_choice"],
                pieces=_refs(p["pieces"]),
            )
            for p in data["procedures"]
        },
        titles={
            t["id"]: Title(id=t["id"], label=_text(t["label"]), duration=_text(t["duration"]), kind=t["kind"])
            for t in data["titles"]
        },
        categories={c["id"]: Category(id=c["id"], label=_text(c["label"])) for c in data["categories"]},
        grounds={
            g["id"]: Ground(
                id=g["id"],
                label=_text(g["label"]),
                situation=_text(g["situation"]),
                ceseda=g["ceseda"],
                reference=g["reference"],
                source=Source(title=g["source"]["title"], url=g["source"]["url"]),
                procedures=tuple(g["procedures"]),
                category=g["category"],
                titles=tuple(g["titles"]),
                work_allowed=g["work_allowed"],
                work_note=_text(g["work_note"]) if g.get("work_note") is not None else None,
                pieces=_refs(g["pieces"]),
            )
            for g in data["grounds"]
        },
        pieces={
            p["id"]: Piece(
                id=p["id"], label=_text(p["label"]), help=_text(p["help"]), formats=tuple(p["formats"])
            )
            for p in data["pieces"]
        },
        common_pieces=_refs(data["common_pieces"]),
    )


@functools.cache
def load(path: Path = DEFAULT_PATH) -> Catalogue:
    """The catalogue in a JSON file, validated; cached per path. Raises CatalogueError."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise CatalogueError([f"{path} is not valid JSON: {error}"]) from error
    return parse(data)
