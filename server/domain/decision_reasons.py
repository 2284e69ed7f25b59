"""The reasons a prefecture may give for a decision, from `server/data/decisions.json`.

Data, versioned with the code, like the procedure catalogue: the four outcomes
(granted, refused, closed without examination, inadmissible), the reasons
each procedure may use for each outcome with their legal basis, the appeal
routes against a negative decision with their time limits, every human text in
French, English and Arabic. `validate()` lists every problem in plain
sentences and `load()` refuses a file that has any, so the server does not
start with a reasons list that would send a person an incomplete motivation.

A basis article "ground" means: the articles of the legal grounds the person
invoked (from the catalogue), so a refusal names the very article whose
conditions are not met.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .catalogue import LANGUAGES, PROCEDURE_IDS, Text

DEFAULT_PATH = Path(__file__).parent.parent / "data" / "decisions.json"
OUTCOMES = ("granted", "refused", "closed", "inadmissible")
GROUND = "ground"
_ID = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_ARTICLE = re.compile(r"[LRD]\.\d{3}-\d+(?:-\d+)?")
_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}\.\d+")


@dataclass(frozen=True)
class Basis:
    code: str  # CESEDA | CRPA | CJA
    article: str  # L.432-1, or "ground"


@dataclass(frozen=True)
class Outcome:
    id: str
    negative: bool
    label: Text
    summary: Text


@dataclass(frozen=True)
class Appeal:
    id: str
    months: int
    basis: Basis
    label: Text
    how: Text


@dataclass(frozen=True)
class Reason:
    id: str
    outcome: str
    procedures: tuple[str, ...]
    basis: Basis | None
    label: Text
    explanation: Text
    requires_overdue_complement: bool


@dataclass(frozen=True)
class Reasons:
    version: str
    codes: dict[str, Text]
    outcomes: dict[str, Outcome]
    appeals: tuple[Appeal, ...]
    removal_order_note: Text
    reasons: dict[str, Reason]

    def for_file(self, procedure: str, outcome: str | None = None) -> list[Reason]:
        """The reasons an agent may choose for a file of this procedure, in file order."""
        return [
            r
            for r in self.reasons.values()
            if procedure in r.procedures and (outcome is None or r.outcome == outcome)
        ]

    def outcomes_for(self, procedure: str) -> list[Outcome]:
        """The outcomes that have at least one reason for this procedure."""
        found = {r.outcome for r in self.for_file(procedure)}
        return [o for o in self.outcomes.values() if o.id in found]


class ReasonsError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("the decision reasons have problems:\n" + "\n".join(f"- {p}" for p in problems))


# -- checking ---------------------------------------------------------------------------


class _Validator:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def text(self, where: str, value: Any) -> None:
        if not isinstance(value, Mapping):
            self.problem(f"{where}: must be an object with fr, en and ar")
            return
        for lang in LANGUAGES:
            found = value.get(lang)
            if not isinstance(found, str) or not found.strip():
                self.problem(f"{where}: the {lang} text is missing or empty")
        extra = set(value) - set(LANGUAGES)
        if extra:
            self.problem(f"{where}: unknown languages {sorted(extra)}")

    def keys(self, where: str, value: Any, required: set[str], optional: set[str] = frozenset()) -> bool:  # type: ignore[assignment]
        if not isinstance(value, Mapping):
            self.problem(f"{where}: must be an object")
            return False
        missing = required - set(value)
        if missing:
            self.problem(f"{where}: missing {sorted(missing)}")
        extra = set(value) - required - optional
        if extra:
            self.problem(f"{where}: unknown keys {sorted(extra)}")
        return not missing

    def basis(self, where: str, value: Any, codes: Mapping[str, Any], ground_ok: bool) -> None:
        if not self.keys(where, value, {"code", "article"}):
            return
        if value["code"] not in codes:
            self.problem(f"{where}: unknown code {value['code']!r}")
        article = value["article"]
        if article == GROUND:
            if not ground_ok:
                self.problem(f"{where}: 'ground' needs procedures that take legal grounds, in the CESEDA")
        elif not isinstance(article, str) or not _ARTICLE.fullmatch(article):
            self.problem(f"{where}: article {article!r} is not like L.432-1")

    def run(self, data: Any) -> None:
        top = {"version", "codes", "outcomes", "appeals", "removal_order_note", "reasons"}
        if not self.keys("the file", data, top):
            return
        if not isinstance(data["version"], str) or not _VERSION.fullmatch(data["version"]):
            self.problem("version: must look like 2026-12-02.1")
        codes = data["codes"] if isinstance(data["codes"], Mapping) else {}
        for code, name in codes.items():
            self.text(f"codes.{code}", name)
        self.text("removal_order_note", data["removal_order_note"])
        outcomes = data["outcomes"] if isinstance(data["outcomes"], list) else []
        ids = [o.get("id") for o in outcomes if isinstance(o, Mapping)]
        if ids != list(OUTCOMES):
            self.problem(f"outcomes: must be {list(OUTCOMES)} in this order, not {ids}")
        negative: dict[str, bool] = {}
        for n, outcome in enumerate(outcomes):
            where = f"outcomes[{n}]"
            if self.keys(where, outcome, {"id", "negative", "label", "summary"}):
                if not isinstance(outcome["negative"], bool):
                    self.problem(f"{where}: negative must be true or false")
                negative[outcome["id"]] = outcome["negative"] is True
                self.text(f"{where}.label", outcome["label"])
                self.text(f"{where}.summary", outcome["summary"])
        if negative.get("granted", True) or not all(negative.get(o) for o in OUTCOMES[1:]):
            self.problem("outcomes: only 'granted' is not negative")
        appeals = data["appeals"] if isinstance(data["appeals"], list) else []
        if [a.get("id") for a in appeals if isinstance(a, Mapping)] != [
            "gracieux",
            "hierarchique",
            "contentieux",
        ]:
            self.problem("appeals: must be gracieux, hierarchique, contentieux")
        for n, appeal in enumerate(appeals):
            where = f"appeals[{n}]"
            if self.keys(where, appeal, {"id", "months", "basis", "label", "how"}):
                if (
                    not isinstance(appeal["months"], int)
                    or isinstance(appeal["months"], bool)
                    or appeal["months"] < 1
                ):
                    self.problem(f"{where}: months must be a whole number of months")
                self.basis(f"{where}.basis", appeal["basis"], codes, ground_ok=False)
                self.text(f"{where}.label", appeal["label"])
                self.text(f"{where}.how", appeal["how"])
        self.reasons(data["reasons"], codes, negative)

    def reasons(self, reasons: Any, codes: Mapping[str, Any], negative: dict[str, bool]) -> None:
        if not isinstance(reasons, list) or not reasons:
            self.problem("reasons: must be a non-empty list")
            return
        seen: set[str] = set()
        covered: dict[str, set[str]] = {}
        for n, reason in enumerate(reasons):
            where = f"reasons[{n}]"
            required = {"id", "outcome", "procedures", "basis", "label", "explanation"}
            if not self.keys(where, reason, required, {"requires_overdue_complement"}):
                continue
            rid = reason["id"]
            where = f"reason {rid!r}"
            if not isinstance(rid, str) or not _ID.fullmatch(rid):
                self.problem(f"{where}: the id must be lower_snake_case")
            if rid in seen:
                self.problem(f"{where}: the id is used twice")
            seen.add(rid)
            outcome = reason["outcome"]
            if outcome not in OUTCOMES:
                self.problem(f"{where}: unknown outcome {outcome!r}")
            procedures = reason["procedures"]
            if not isinstance(procedures, list) or not procedures:
                self.problem(f"{where}: procedures must be a non-empty list")
                procedures = []
            for p in procedures:
                if p not in PROCEDURE_IDS:
                    self.problem(f"{where}: unknown procedure {p!r}")
                covered.setdefault(p, set()).add(outcome)
            basis = reason["basis"]
            if basis is None:
                if negative.get(outcome, True):
                    self.problem(f"{where}: a negative decision needs its legal basis")
            else:
                takes_ground = {"first_application", "renewal", "change_of_status"}
                self.basis(f"{where}.basis", basis, codes, ground_ok=set(procedures) <= takes_ground)
            self.text(f"{where}.label", reason["label"])
            self.text(f"{where}.explanation", reason["explanation"])
            flag = reason.get("requires_overdue_complement", False)
            if not isinstance(flag, bool):
                self.problem(f"{where}: requires_overdue_complement must be true or false")
        for procedure in PROCEDURE_IDS:
            have = covered.get(procedure, set())
            if "granted" not in have or not have & {"refused", "closed", "inadmissible"}:
                self.problem(f"procedure {procedure!r}: needs a reason to grant and one negative reason")


def validate(data: Any) -> list[str]:
    """Every problem of a decoded reasons file, as sentences; [] when it is fine."""
    validator = _Validator()
    validator.run(data)
    return validator.problems


def _text(value: Mapping[str, str]) -> Text:
    return Text(fr=value["fr"], en=value["en"], ar=value["ar"])


def _basis(value: Mapping[str, str] | None) -> Basis | None:
    return Basis(code=value["code"], article=value["article"]) if value else None


def parse(data: Any) -> Reasons:
    problems = validate(data)
    if problems:
        raise ReasonsError(problems)
    return Reasons(
        version=data["version"],
        codes={k: _text(v) for k, v in data["codes"].items()},
        outcomes={
            o["id"]: Outcome(
                id=o["id"], negative=o["negative"], label=_text(o["label"]), summary=_text(o["summary"])
            )
            for o in data["outcomes"]
        },
        appeals=tuple(
            Appeal(
                id=a["id"],
                months=a["months"],
                basis=Basis(code=a["basis"]["code"], article=a["basis"]["article"]),
                label=_text(a["label"]),
                how=_text(a["how"]),
            )
            for a in data["appeals"]
        ),
        removal_order_note=_text(data["removal_order_note"]),
        reasons={
            r["id"]: Reason(
                id=r["id"],
                outcome=r["outcome"],
                procedures=tuple(r["procedures"]),
                basis=_basis(r["basis"]),
                label=_text(r["label"]),
                explanation=_text(r["explanation"]),
                requires_overdue_complement=r.get("requires_overdue_complement", False),
            )
            for r in data["reasons"]
        },
    )


@functools.cache
def load(path: Path = DEFAULT_PATH) -> Reasons:
    """The reasons file, validated; cached per path. Raises ReasonsError."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ReasonsError([f"{path} is not valid JSON: {error}"]) from error
    return parse(data)
