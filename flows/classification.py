"""Offence labels as forces write them -> Home Office offence classes (the one home for it).

A label may carry a code (a class such as '19C' or '86', or a sub-code as forces print
it: '019/13', '86/2', '071/17') and wording (the class description, a Sexual Offences
Act section title, a crime-system title or an abbreviation). The code decides the class
and the wording must not contradict it; wording alone is matched first against every
description and title in the reference (schemas/offences.csv, schemas/offence_titles.csv)
and then read word by word with schemas/offence_words.yaml, where every word must be
understood. The answer is a set of classes: one when the label names a single class,
several when it names an offence that spans classes ('Rape of a child under 13' is 19E
or 19H), none when it is not recognised, with the nearest candidates to report.
"""
from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache

import yaml

from flows import SCHEMAS

CLASSES_FILE = SCHEMAS / "offences.csv"
TITLES_FILE = SCHEMAS / "offence_titles.csv"
WORDS_FILE = SCHEMAS / "offence_words.yaml"

# Ages in class labels follow the Home Office convention: a 'child under 16' class
# never holds the under-13s, who have classes of their own (19D 'Rape of a female child
# under 16' is the 13-15 year olds), so 'under 16' reads as 13 to 15.
_UNDER = {13: (0, 12), 16: (13, 15), 18: (0, 17)}
_MAX_CHILD_AGE = 17


@dataclass(frozen=True)
class OffenceClass:
    code: str
    description: str
    group: str
    kind: str
    sex: str | None
    age_min: int
    age_max: int

    @property
    def number(self) -> str:
        return re.sub(r"[A-Z]$", "", self.code)


@dataclass(frozen=True)
class Classification:
    """What a label names: classes (empty when not recognised), and how it was read."""

    classes: frozenset[str]
    label: str
    code_as_written: str | None = None  # '019/13', '19C' as the reply printed it
    wording: str = ""  # the label without its code
    how: str = ""  # 'code', 'title', 'words', 'code and title', 'code and words'
    reason: str = ""  # why there are no classes
    candidates: tuple[str, ...] = ()  # nearest known titles, for the message

    @property
    def code(self) -> str | None:
        """The single class, when the label names exactly one."""
        return next(iter(self.classes)) if len(self.classes) == 1 else None

    @property
    def recognised(self) -> bool:
        return bool(self.classes)

    def describe_unknown(self) -> str:
        """The reason, the nearest titles, and the line of schemas/offence_titles.csv that
        would settle it (with the nearest title's classes filled in, to check, not trust)."""
        hint = ""
        if self.candidates:
            hint = "; nearest: " + "; ".join(self.candidates)
        classes = self.candidates[0].rsplit("(", 1)[-1].rstrip(")") if self.candidates else "<class>"
        title = (self.wording or self.label).replace('"', "'")
        line = f'{classes},"{title}",,<legislation>,,,<source>'
        return f"{self.reason}{hint}; to settle it, add the line {line} to schemas/offence_titles.csv"


@dataclass(frozen=True)
class _Kind:
    kind: str
    phrases: tuple[str, ...]
    words: frozenset[str]
    default: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reference:
    classes: dict[str, OffenceClass]
    titles: dict[str, frozenset[str]]  # normalised title or description -> classes
    sub_codes: dict[str, frozenset[str]]  # '71/17' -> classes, from titles with a sub-code
    kinds: tuple[_Kind, ...]
    filler: frozenset[str]
    sex_words: dict[str, str]  # word -> 'female' | 'male'
    offender: tuple[re.Pattern, ...]
    display: dict[str, str] = field(default_factory=dict)  # normalised title -> as written
    sub_titles: dict[str, str] = field(default_factory=dict)  # '71/17' -> its title
    sections: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)  # (act, '8') -> classes
    act_names: tuple[tuple[str, str], ...] = ()  # (spelling as tokens, act), longest first

    def classes_numbered(self, number: str) -> frozenset[str]:
        return frozenset(c for c, o in self.classes.items() if o.number == number)


# ------------------------------------------------------------------ normalising text

_SECTION = re.compile(r"\b(?:s|sec|section)\s*\d{1,3}[a-z]?(?:\s*\(\d+\))?\b")


def tokens(text: str) -> str:
    """Lower case, punctuation as spaces, with the shorthands forces use spelled out."""
    t = str(text).lower()
    t = t.replace("\u2013", "-").replace("\u2014", "-").replace("\u00a0", " ")
    t = re.sub(r"w/o\b", " without ", t)
    t = re.sub(r"\bw/", " with ", t)
    t = t.replace("<", " under ").replace("+", " plus ").replace("&", " and ")
    t = re.sub(r"[^a-z0-9]+", " ", t)
    t = re.sub(r"\bu\s?(13|16|18)\b", r"under \1", t)
    return " ".join(t.split())


_STOP = {"a", "an", "the", "etc"}


def title_key(text: str) -> str:
    """The form titles are compared in: tokens without section references or articles."""
    t = _SECTION.sub(" ", str(text).lower().replace(".", " ").replace("(", " ").replace(")", " "))
    return " ".join(w for w in tokens(t).split() if w not in _STOP)


# --------------------------------------------------------------------- the reference

def _split_classes(value: str) -> frozenset[str]:
    return frozenset(c.strip().upper() for c in re.split(r"[|;]", value or "") if c.strip())


@lru_cache(maxsize=1)
def reference() -> Reference:
    """Read once per process; the files are the cache key of every reading (reading.py)."""
    classes: dict[str, OffenceClass] = {}
    titles: dict[str, frozenset[str]] = {}
    display: dict[str, str] = {}
    with open(CLASSES_FILE, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code = row["offence_code"].strip().upper()
            classes[code] = OffenceClass(
                code=code, description=row["offence_description"], group=row["offence_group"],
                kind=row["kind"], sex=row.get("victim_sex") or None,
                age_min=int(row["victim_age_min"]) if row.get("victim_age_min") else 0,
                age_max=int(row["victim_age_max"]) if row.get("victim_age_max") else _MAX_CHILD_AGE,
            )
            titles[title_key(row["offence_description"])] = frozenset({code})
            display[title_key(row["offence_description"])] = row["offence_description"]
    sub_codes: dict[str, frozenset[str]] = {}
    sub_titles: dict[str, str] = {}
    with open(TITLES_FILE, newline="", encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            codes = _split_classes(row["offence_code"])
            unknown = codes - set(classes)
            if unknown or not codes:
                raise ValueError(f"{TITLES_FILE.name} line {i}: class {sorted(unknown) or '(none)'} "
                                 f"is not in {CLASSES_FILE.name}")
            key = title_key(row["title"])
            if key in titles and titles[key] != codes:
                raise ValueError(f"{TITLES_FILE.name} line {i}: '{row['title']}' is already the title "
                                 f"of {'|'.join(sorted(titles[key]))}")
            titles[key] = codes
            display[key] = row["title"]
            if row.get("sub_code"):
                sub_codes[_sub_code_key(row["sub_code"])] = codes
                sub_titles[_sub_code_key(row["sub_code"])] = row["title"]
    words = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))
    _check_words(words)
    kinds = []
    known_kinds = {o.kind for o in classes.values()}
    for entry in words["kinds"]:
        if entry["kind"] not in known_kinds:
            raise ValueError(f"{WORDS_FILE.name}: kind '{entry['kind']}' has no class in {CLASSES_FILE.name}")
        phrases = tuple(sorted((tokens(p) for p in entry["phrases"]), key=len, reverse=True))
        own = {w for p in phrases for w in p.split()}
        kinds.append(_Kind(entry["kind"], phrases, frozenset(own | {tokens(w) for w in entry.get("words", [])}),
                           tuple(str(d).upper() for d in entry.get("default", []))))
    sex_words = {tokens(w): sex for sex, ws in words["sex"].items() for w in ws}
    act_names = tuple(sorted(((tokens(n), act) for act, names in (words.get("acts") or {}).items() for n in names),
                             key=lambda x: -len(x[0])))
    sections: dict[tuple[str, str], frozenset[str]] = {}
    with open(TITLES_FILE, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            act, section = _act_section(act_names, row["legislation"], first=True)
            if act and section:
                key = (act, section)
                sections[key] = sections.get(key, frozenset()) | _split_classes(row["offence_code"])
    offender = tuple(re.compile(rf"\b{p}\b") for p in words.get("offender", []))
    return Reference(classes, titles, sub_codes, tuple(kinds), frozenset(tokens(w) for w in words["filler"]),
                     sex_words, offender, display, sub_titles, sections, act_names)


_SECTION_NUMBER = re.compile(r"\b(?:s|sec|section|ss)\s*(\d{1,3}[a-z]?)\b")


def _act_section(act_names, text: str, *, first: bool = False) -> tuple[str | None, str | None]:
    """('Sexual Offences Act 2003', '8') from 'SOA 2003 s.8' or 'Section 8 Sexual Offences Act'.
    A label naming two sections names none; a reference row (`first`) names its first."""
    t = tokens(str(text).replace(".", " "))
    act = next((a for name, a in act_names if re.search(rf"\b{re.escape(name)}\b", t)), None)
    found = _SECTION_NUMBER.findall(t) + re.findall(r"\b(?:s|ss)\s*\d{1,3}[a-z]?\s+(?:and|to|or)\s+(\d{1,3}[a-z]?)\b", t)
    if first and found:
        return act, found[0].upper()
    return act, (found[0].upper() if len(found) == 1 else None)  # two sections: not one offence


def _check_words(data) -> None:
    """Every word of offence_words.yaml is text: YAML reads a bare on/off/yes/no as true/false."""
    def walk(value, where):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{where}.{k}")
        elif isinstance(value, list):
            for v in value:
                walk(v, where)
        elif not isinstance(value, str):
            raise ValueError(f"{WORDS_FILE.name}: {where} holds {value!r}, not a word: quote it")
    walk(data, "")


def _sub_code_key(code: str) -> str:
    """'071/17', '71/17', '71 / 017' -> '71/17'."""
    m = re.match(r"^\s*0*(\d{1,3}[a-z]?)\s*/\s*0*(\d{1,3})\s*$", code.lower())
    return f"{m.group(1).upper()}/{m.group(2)}" if m else code.strip().upper()


# ----------------------------------------------------------------------- the codes

_HO = r"(?:h\.?\s*o\.?\s*(?:code|class|offence code)?\s*:?\s*|code\s*:?\s*|class\s*:?\s*)?"
_CODE = r"0*(\d{1,3})([a-k])?(?:\s*/\s*0*(\d{1,3}))?"
_CODE_ALONE = re.compile(rf"^{_HO}{_CODE}$", re.I)
_CODE_FIRST = re.compile(rf"^{_HO}{_CODE}(?:\s*[-:.)|]\s*|\s+)(.*[a-z].*)$", re.I)
_CODE_LAST = re.compile(rf"^(.*[a-z].*?)\s*(?:[(\[]\s*{_HO}{_CODE}\s*[)\]]|\s[-:|]\s*{_HO}{_CODE})$", re.I)


def _code_classes(ref: Reference, number: str, letter: str | None, sub: str | None) -> tuple[frozenset[str], str]:
    """The classes a code can mean, and the code as a person reads it."""
    if sub is not None:
        key = f"{number}{(letter or '').upper()}/{int(sub)}"
        if key in ref.sub_codes:
            return ref.sub_codes[key], key
        if letter:
            code = f"{number}{letter.upper()}"
            return (frozenset({code}) if code in ref.classes else frozenset()), key
        return ref.classes_numbered(number), key
    if letter:
        code = f"{number}{letter.upper()}"
        return (frozenset({code}) if code in ref.classes else frozenset()), code
    if number in ref.classes:
        return frozenset({number}), number
    return ref.classes_numbered(number), number


def _parse_code(text: str) -> tuple[tuple[str, str | None, str | None] | None, str]:
    """((number, letter, sub), wording) or (None, text)."""
    stripped = text.strip()
    if m := _CODE_ALONE.match(stripped):
        return (m.group(1), m.group(2), m.group(3)), ""
    if m := _CODE_FIRST.match(stripped):
        return (m.group(1), m.group(2), m.group(3)), m.group(4)
    if m := _CODE_LAST.match(stripped):
        groups = m.groups()
        number, letter, sub = (groups[1:4] if groups[1] else groups[4:7])
        return (number, letter, sub), m.group(1)
    return None, stripped


# ----------------------------------------------------------------------- the words

_AGE_PATTERNS = (
    (re.compile(r"\bunder (\d{1,2})\b"), "under"),
    (re.compile(r"\b(\d{1,2}) (?:years? )?(?:of age )?(?:or|and) (?:over|above|older)\b"), "over"),
    (re.compile(r"\b(\d{1,2}) plus\b"), "over"),
    (re.compile(r"\b(\d{1,2}) (?:to )?(\d{1,2})\b"), "band"),
)


def _victim_age(text: str) -> tuple[tuple[int, int] | None, str, bool]:
    """(age range, text without it, ok). ok is False when an age cannot be read."""
    found: tuple[int, int] | None = None
    for pattern, kind in _AGE_PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        if kind == "under":
            n = int(m.group(1))
            span = _UNDER.get(n)
            if span is None:
                return None, text, False
        elif kind == "over":
            span = (int(m.group(1)), _MAX_CHILD_AGE)
        else:
            lo, hi = int(m.group(1)), int(m.group(2))
            if not lo < hi <= 18:
                return None, text, False
            span = (lo, min(hi, _MAX_CHILD_AGE))
        if found is not None:
            return None, text, False  # two ages: not a single class
        found = span
        text = (text[:m.start()] + " " + text[m.end():]).strip()
    return found, " ".join(text.split()), True


def _by_words(ref: Reference, wording: str) -> frozenset[str] | None:
    text = tokens(_SECTION.sub(" ", wording.lower().replace(".", " ")))
    for pattern in ref.offender:
        text = pattern.sub(" ", text)
    kind = next((k for k in ref.kinds if any(re.search(rf"\b{re.escape(p)}\b", text) for p in k.phrases)), None)
    if kind is None:
        return None
    age, text, ok = _victim_age(text)
    if not ok:
        return None
    classes = [o for o in ref.classes.values() if o.kind == kind.kind]
    sexes = {ref.sex_words[w] for w in text.split() if w in ref.sex_words}
    if all(o.sex is None for o in classes):
        sexes = set()  # 'Incest - male with female': the kind's classes do not turn on sex
    if len(sexes) > 1:
        return None
    leftover = [w for w in text.split()
                if w not in kind.words and w not in ref.filler and w not in ref.sex_words]
    if leftover:
        return None
    sex = next(iter(sexes), None)
    if sex:
        classes = [o for o in classes if o.sex in (None, sex)]
    if age is None and kind.default:
        return frozenset(kind.default)
    if age is not None:
        classes = [o for o in classes if o.age_min <= age[1] and age[0] <= o.age_max]
    return frozenset(o.code for o in classes) or None


def _by_section(ref: Reference, wording: str) -> frozenset[str] | None:
    """A label that is only an Act and a section ('Sexual Offences Act 2003 s.8')."""
    act, section = _act_section(ref.act_names, wording)
    if not act or not section or (act, section) not in ref.sections:
        return None
    rest = tokens(wording.replace(".", " "))
    rest = _SECTION_NUMBER.sub(" ", rest)
    for name, _ in ref.act_names:
        rest = re.sub(rf"\b{re.escape(name)}\b", " ", rest)
    if any(w not in ref.filler for w in rest.split()):
        return None  # other words: the title path must read them
    return ref.sections[(act, section)]


def _by_wording(ref: Reference, wording: str) -> tuple[frozenset[str] | None, str]:
    if not wording.strip():
        return None, ""
    key = title_key(wording)
    if key in ref.titles:
        return ref.titles[key], "title"
    found = _by_words(ref, wording)
    if found:
        return found, "words"
    found = _by_section(ref, wording)
    return (found, "section") if found else (None, "")


def _nearest(ref: Reference, wording: str) -> tuple[str, ...]:
    key = title_key(wording)
    close = difflib.get_close_matches(key, list(ref.titles), n=3, cutoff=0.6)
    return tuple(f"{ref.display[k]} ({'|'.join(sorted(ref.titles[k]))})" for k in close)


# ----------------------------------------------------------------------------- API

@lru_cache(maxsize=16384)
def classify(label: str) -> Classification:
    """The classes an offence label names (see the module docstring)."""
    ref = reference()
    text = " ".join(str(label).split())
    if not text:
        return Classification(frozenset(), str(label), reason="no offence given")
    code, wording = _parse_code(text)
    words, how = _by_wording(ref, wording) if wording else (None, "")
    if code is None:
        if words:
            return Classification(words, text, None, wording, how)
        return Classification(frozenset(), text, None, wording, reason=f"'{text}' matches no offence class",
                              candidates=_nearest(ref, wording))
    number, letter, sub = code
    by_code, written = _code_classes(ref, number, letter, sub)
    if not by_code:
        return Classification(frozenset(), text, written, wording,
                              reason=f"code '{written}' is not a class of schemas/offences.csv")
    if not wording:
        if sub is not None and f"{number}/{int(sub)}" not in ref.sub_codes and len(by_code) > 1:
            return Classification(frozenset(), text, written, wording,
                                  reason=f"sub-code '{written}' alone does not say which class it is")
        return Classification(by_code, text, written, wording, "code")
    if words is None:
        # Wording the reference does not know may be another offence with a mistyped code
        # ('88A Burglary'): the code alone is not enough evidence.
        return Classification(frozenset(), text, written, wording,
                              reason=f"code '{written}' with wording '{wording}' that no class of the reference has",
                              candidates=_nearest(ref, wording))
    both = by_code & words
    if not both:
        return Classification(
            frozenset(), text, written, wording,
            reason=(f"code '{written}' ({'|'.join(sorted(by_code))}) and wording '{wording}' "
                    f"({'|'.join(sorted(words))}) disagree"),
        )
    return Classification(both, text, written, wording, f"code and {how}")


def is_offence(label) -> bool:
    return isinstance(label, str) and classify(label).recognised


def group_of(classes: frozenset[str]) -> str | None:
    """The offence group all the classes share, or None."""
    ref = reference()
    groups = {ref.classes[c].group for c in classes if c in ref.classes}
    return next(iter(groups)) if len(groups) == 1 else None
