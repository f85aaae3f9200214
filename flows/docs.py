"""The warehouse's documentation, written once: schemas/warehouse_docs.yaml.

That file says what every table, view and column of the warehouse means. From it:

  apply_comments(con)  writes it into a warehouse as DuckDB comments (COMMENT ON TABLE,
                       VIEW, COLUMN), so an analyst's own DuckDB shows it:
                       duckdb_tables().comment, duckdb_views().comment, duckdb_columns().comment
  render_markdown()    is docs/warehouse.md, word for word

    python -m flows.docs --write    rewrite docs/warehouse.md from the YAML
    python -m flows.docs --check    exit 1 when docs/warehouse.md is not the YAML's rendering
    python -m flows.docs            print the rendering

A warehouse and the YAML must name the same tables, views and columns (coverage()):
apply_comments raises UndocumentedError when they do not, unless told `strict=False`,
when it comments what it can and returns what is missing.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from flows import PROJECT_ROOT, SCHEMAS

DOCS_YAML = SCHEMAS / "warehouse_docs.yaml"
MARKDOWN = PROJECT_ROOT / "docs" / "warehouse.md"
WRITE_COMMAND = ".venv/bin/python -m flows.docs --write"

KINDS = ("table", "view")
STAGES = ("reference", "received", "replies", "validated", "marts", "runs")
_OBJECT_KEYS = {"name", "kind", "stage", "description", "columns", "columns_from", "notes"}
_SECTION_KEYS = {"title", "level", "text", "objects", "after", "examples"}
_TOP_KEYS = {"title", "intro", "sections"}


class DocsError(ValueError):
    """schemas/warehouse_docs.yaml is malformed."""


class UndocumentedError(RuntimeError):
    """A warehouse and schemas/warehouse_docs.yaml do not name the same things."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            f"the warehouse and {_shown(DOCS_YAML)} disagree "
            f"(document every table, view and column there):\n  - " + "\n  - ".join(problems))


def _shown(path: Path) -> str:
    """A path as the docs and messages name it: relative to the project when inside it."""
    path = Path(path)
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


@dataclass(frozen=True)
class Example:
    title: str
    sql: str


@dataclass(frozen=True)
class WarehouseObject:
    name: str
    kind: str  # table | view
    stage: str
    description: str
    columns: dict[str, str]  # its own; see Docs.columns for columns_from
    columns_from: str | None = None
    notes: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    level: int
    text: str = ""
    objects: list[WarehouseObject] = field(default_factory=list)
    after: str = ""
    examples: list[Example] = field(default_factory=list)


@dataclass(frozen=True)
class Docs:
    title: str
    intro: str
    sections: list[Section]

    def objects(self) -> dict[str, WarehouseObject]:
        """Every table and view, in the order the docs present them."""
        return {o.name: o for s in self.sections for o in s.objects}

    def columns(self, name: str) -> dict[str, str]:
        """An object's columns and their meanings (an object with columns_from has those
        of the other object, with the same meanings)."""
        obj = self.objects()[name]
        return self.columns(obj.columns_from) if obj.columns_from else obj.columns

    def examples(self) -> list[Example]:
        return [e for s in self.sections for e in s.examples]


def load(path: Path | None = None) -> Docs:
    """The YAML (default: DOCS_YAML), checked for shape (not yet against a warehouse: see
    coverage)."""
    path = Path(path or DOCS_YAML)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DocsError(f"{path}: not valid YAML: {exc}") from exc
    where = path.name
    _mapping(data, where, _TOP_KEYS, required={"title", "sections"})
    sections = [_section(s, where, i + 1) for i, s in enumerate(_list(data["sections"], where))]
    docs = Docs(title=_text(data["title"], f"{where}: title"),
                intro=_text(data.get("intro", ""), f"{where}: intro", empty=True), sections=sections)
    seen: set[str] = set()
    for obj in (o for s in sections for o in s.objects):
        if obj.name in seen:
            raise DocsError(f"{where}: {obj.name} is documented twice")
        seen.add(obj.name)
    for obj in docs.objects().values():
        if obj.columns_from and (obj.columns_from not in seen or docs.objects()[obj.columns_from].columns_from):
            raise DocsError(f"{where}: {obj.name}: columns_from names {obj.columns_from!r}, "
                            "which is not an object with its own columns")
    return docs


def _section(data, file: str, number: int) -> Section:
    where = f"{file}: section {number}"
    _mapping(data, where, _SECTION_KEYS, required={"title", "level"})
    title = _text(data["title"], f"{where}: title")
    where = f"{file}: section {title!r}"
    if data["level"] not in (2, 3):
        raise DocsError(f"{where}: level must be 2 or 3, not {data['level']!r}")
    examples = []
    for i, item in enumerate(_list(data.get("examples", []), where)):
        _mapping(item, f"{where}: example {i + 1}", {"title", "sql"}, required={"title", "sql"})
        examples.append(Example(_text(item["title"], f"{where}: example {i + 1}"),
                                _text(item["sql"], f"{where}: example {i + 1}").strip()))
    return Section(
        title=title, level=data["level"], text=_text(data.get("text", ""), where, empty=True),
        objects=[_object(o, where) for o in _list(data.get("objects", []), where)],
        after=_text(data.get("after", ""), where, empty=True), examples=examples,
    )


def _object(data, where: str) -> WarehouseObject:
    _mapping(data, where, _OBJECT_KEYS, required={"name", "kind", "stage", "description"})
    name = _text(data["name"], f"{where}: name")
    where = f"{where}: {name}"
    if data["kind"] not in KINDS:
        raise DocsError(f"{where}: kind must be one of {KINDS}, not {data['kind']!r}")
    if data["stage"] not in STAGES:
        raise DocsError(f"{where}: stage must be one of {STAGES}, not {data['stage']!r}")
    if ("columns" in data) == ("columns_from" in data):
        raise DocsError(f"{where}: give either columns (name: meaning) or columns_from, not both or neither")
    columns = data.get("columns") or {}
    if not isinstance(columns, dict) or not columns and "columns" in data:
        raise DocsError(f"{where}: columns must map each column to its meaning")
    return WarehouseObject(
        name=name, kind=data["kind"], stage=data["stage"],
        description=_text(data["description"], f"{where}: description"),
        columns={_text(c, f"{where}: a column name"): _text(m, f"{where}.{c}") for c, m in columns.items()},
        columns_from=data.get("columns_from"), notes=_text(data.get("notes", ""), where, empty=True),
    )


def _mapping(data, where: str, allowed: set[str], required: set[str]) -> None:
    if not isinstance(data, dict):
        raise DocsError(f"{where}: expected a mapping")
    if unknown := set(data) - allowed:
        raise DocsError(f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(allowed)})")
    if missing := required - set(data):
        raise DocsError(f"{where}: missing {sorted(missing)}")


def _list(data, where: str) -> list:
    if not isinstance(data, list):
        raise DocsError(f"{where}: expected a list")
    return data


def _text(value, where: str, empty: bool = False) -> str:
    if not isinstance(value, str) or not (empty or value.strip()):
        raise DocsError(f"{where}: expected text, not {value!r}")
    return value


# --- the warehouse side -----------------------------------------------------------------

_CATALOGUE = """
    SELECT table_name AS name, 'table' AS kind FROM duckdb_tables()
    WHERE database_name = current_database() AND schema_name = current_schema()
      AND NOT internal AND NOT temporary
    UNION ALL
    SELECT view_name, 'view' FROM duckdb_views()
    WHERE database_name = current_database() AND schema_name = current_schema()
      AND NOT internal AND NOT temporary
"""
_COLUMNS = """
    SELECT table_name, column_name FROM duckdb_columns()
    WHERE database_name = current_database() AND schema_name = current_schema() AND NOT internal
    ORDER BY table_name, column_index
"""


def catalogue(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, list[str]]]:
    """The warehouse's own tables and views (not DuckDB's, nor a TEMP object of the marts'
    build): name -> (kind, its columns in order)."""
    found = {name: (kind, []) for name, kind in con.execute(_CATALOGUE).fetchall()}
    for table, column in con.execute(_COLUMNS).fetchall():
        if table in found:
            found[table][1].append(column)
    return found


def coverage(docs: Docs, found: dict[str, tuple[str, list[str]]]) -> list[str]:
    """Where the warehouse and the YAML disagree: everything the warehouse holds that the
    YAML does not document, and everything the YAML names that the warehouse lacks."""
    problems = []
    documented = docs.objects()
    for name, (kind, columns) in sorted(found.items()):
        obj = documented.get(name)
        if obj is None:
            problems.append(f"{kind} {name} is not documented")
            continue
        if obj.kind != kind:
            problems.append(f"{name} is a {kind} in the warehouse, a {obj.kind} in the docs")
        meanings = docs.columns(name)
        problems += [f"column {name}.{c} is not documented" for c in columns if c not in meanings]
        problems += [f"the docs name column {name}.{c}, which {name} does not have"
                     for c in meanings if c not in columns]
    problems += [f"the docs name {o.kind} {n}, which the warehouse does not hold"
                 for n, o in documented.items() if n not in found]
    return problems


def apply_comments(con: duckdb.DuckDBPyConnection, docs: Docs | None = None, *,
                   strict: bool = True) -> list[str]:
    """Write every description and column meaning into the warehouse as DuckDB comments,
    in one transaction. Where the warehouse and the YAML disagree (coverage): strict raises
    UndocumentedError before writing anything; otherwise every documented object and column
    the warehouse holds is commented, the rest keep no comment, and the disagreements are
    returned (a YAML that cannot be read at all is then one, and nothing is commented)."""
    if docs is None:
        try:
            docs = load()
        except (DocsError, OSError) as exc:
            if strict:
                raise
            return [f"no comments written: {exc}"]
    found = catalogue(con)
    problems = coverage(docs, found)
    if problems and strict:
        raise UndocumentedError(problems)
    statements = []
    for name, (kind, columns) in found.items():
        obj = docs.objects().get(name)
        if obj is None:
            continue
        statements.append(f"COMMENT ON {kind.upper()} {_ident(name)} IS {_literal(comment_text(obj.description))}")
        meanings = docs.columns(name)
        statements += [f"COMMENT ON COLUMN {_ident(name)}.{_ident(c)} IS {_literal(comment_text(meanings[c]))}"
                       for c in columns if c in meanings]
    con.execute("BEGIN TRANSACTION")
    try:
        for statement in statements:
            con.execute(statement)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return problems


def comment_text(markdown: str) -> str:
    """A DuckDB comment from the docs' Markdown: one line, `code` marks dropped."""
    return " ".join(markdown.replace("`", "").split())


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- docs/warehouse.md ------------------------------------------------------------------

def render_markdown(docs: Docs | None = None) -> str:
    """docs/warehouse.md: the YAML's prose, every table and view with its columns, and the
    example queries, in the YAML's order."""
    docs = docs or load()
    source = _shown(DOCS_YAML)
    out = [
        f"# {docs.title}",
        "",
        f"> Generated from `{source}` (the same text every table, view and column of the "
        f"warehouse carries as its DuckDB comment): edit that file, then run `{WRITE_COMMAND}`.",
    ]
    out += _prose(docs.intro)
    for section in docs.sections:
        out += ["", f"{'#' * section.level} {section.title}"]
        out += _prose(section.text)
        for obj in section.objects:
            out += _render_object(docs, obj, section.level + 1)
        out += _prose(section.after)
        for example in section.examples:
            out += ["", "```sql", f"-- {example.title}", example.sql, "```"]
    return "\n".join(out) + "\n"


def _render_object(docs: Docs, obj: WarehouseObject, level: int) -> list[str]:
    out = ["", f"{'#' * level} `{obj.name}`", "",
           f"*{obj.kind}, stage: {obj.stage}.* {_one_line(obj.description)}"]
    if obj.columns_from:
        out += ["", f"Its columns are those of `{obj.columns_from}` (above), with the same meanings: "
                    + ", ".join(docs.columns(obj.name)) + "."]
    else:
        out += ["", "| column | meaning |", "|---|---|"]
        out += [f"| {c} | {_cell(m)} |" for c, m in obj.columns.items()]
    out += _prose(obj.notes)
    return out


def _prose(text: str) -> list[str]:
    text = _substitute(text).strip("\n")
    return ["", *text.split("\n")] if text.strip() else []


def _one_line(text: str) -> str:
    return " ".join(_substitute(text).split())


def _cell(text: str) -> str:
    return re.sub(r"(?<!\\)\|", r"\\|", _one_line(text))


def _substitute(text: str) -> str:
    from flows.warehouse import STORAGE_VERSION

    return text.replace("{storage_version}", STORAGE_VERSION)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.docs", description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help=f"rewrite {_shown(MARKDOWN)}")
    group.add_argument("--check", action="store_true",
                       help=f"exit 1 when {_shown(MARKDOWN)} is not the YAML's rendering")
    args = parser.parse_args(argv)
    text = render_markdown()
    if args.write:
        MARKDOWN.write_text(text, encoding="utf-8")
        print(f"wrote {_shown(MARKDOWN)} from {_shown(DOCS_YAML)}")
    elif args.check:
        if not MARKDOWN.exists() or MARKDOWN.read_text(encoding="utf-8") != text:
            print(f"{_shown(MARKDOWN)} is out of date: run {WRITE_COMMAND}", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
