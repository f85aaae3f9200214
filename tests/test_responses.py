"""The `responses` table and `foi chase`: real files, read by the real pipeline pieces
(flows.discover, flows.reading.read_reply, flows.facts, flows.warehouse), into a real
DuckDB file, and the command run in-process."""
from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from flows import PROJECT_ROOT, SAMPLE_ROUND, warehouse
from flows.cli import main
from flows.discover import discover_raw
from flows.facts import build_facts
from flows.forces import load_forces, match_force
from flows.reading import read_reply
from flows.letters import letter_date, letter_text
from flows.responses import RESPONSES_COLUMNS, resolve_round, RoundNameError

from builders import build_warehouse

ROUND = "2017-online-test"
LATER = "2018-repeat-request"
HEADER = "Financial year recorded,Offence Description,Offences\n"
TVP, DORSET, NORTH_YORKSHIRE, GLOUCESTERSHIRE, DURHAM, ESSEX = (
    match_force(name).code for name in ("TVP", "Dorset", "North Yorkshire", "Gloucestershire", "Durham", "Essex"))


def csv_reply(*years: str, offence: str = "21 - Sexual activity involving a child under 13") -> str:
    return HEADER + "".join(
        f"{y},{offence},{n}\n{y},22B - Sexual activity involving child under 16,{n + 3}\n"
        for n, y in enumerate(years, start=4))


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def build(raw: Path, db: Path):
    """With the responses, without facts.rounds (the build infers the rounds' years)."""
    return build_warehouse(raw, db, rounds=False)


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    """Two rounds of replies, as a person files them."""
    raw = tmp_path_factory.mktemp("responses") / "raw"
    rnd = raw / ROUND
    # Thames Valley: one csv per year, and a covering letter dated in two ways
    write(rnd / "TVP" / "2015-16.csv", csv_reply("2015-16"))
    write(rnd / "TVP" / "2016-17.csv", csv_reply("2016-17"))
    write(rnd / "TVP" / "covering letter.txt",
          "Thames Valley Police\nOur ref: FOI 2017/0412\n\n3rd April 2017\n\n"
          "Thank you for your request dated 2 March 2017. Please find the figures attached.\n")
    # Dorset: figures for 2016/17 only
    write(rnd / "Dorset" / "reply.csv", csv_reply("2016-17"))
    # North Yorkshire: a refusal under section 12, undated
    write(rnd / "North Yorkshire Police" / "refusal.txt",
          "We estimate that complying would exceed the appropriate limit.\n"
          "Section 12 of the Freedom of Information Act 2000 therefore applies.\n")
    # Gloucestershire: a docx refusal under s.40, dated
    _docx(rnd / "Gloucestershire Constabulary" / "Refusal notice.docx", [
        "Freedom of Information Act 2000", "Date: 14 March 2017",
        "Your request received on 20 March 2017 is refused under s.40(2):",
        "the numbers are small enough to identify victims.",
    ])
    # Durham: a nil return in words
    write(rnd / "Durham Constabulary" / "response.txt",
          "Dated 21/03/2017\nNo offences were recorded in 2015/16 or 2016/17.\n")
    # Essex: a csv with an offence no classification knows
    write(rnd / "Essex Police" / "reply.csv", csv_reply("2015-16", "2016-17", offence="Bicycle theft"))
    # a later round, so that prefixes can be ambiguous
    write(raw / LATER / "TVP" / "reply.csv", csv_reply("2016-17", "2017-18"))
    # ... where Kent's second file is quarantined, and Surrey sends a letter and no figures
    write(raw / LATER / "Kent" / "figures.csv", csv_reply("2016-17", "2017-18"))
    write(raw / LATER / "Kent" / "extra.csv", csv_reply("2016-17", offence="Bicycle theft"))
    write(raw / LATER / "Surrey" / "letter.txt", "Date: 5 May 2018\nWe will reply in due course.\n")
    return raw


@pytest.fixture(scope="module")
def db(raw) -> Path:
    path = raw.parent / "warehouse" / "foi.duckdb"
    path.parent.mkdir()
    build(raw, path)
    return path


def _docx(path: Path, paragraphs: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{p}</w:t></w:r></w:p>' for p in paragraphs)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        zf.writestr("word/document.xml", '<?xml version="1.0" encoding="UTF-8"?><w:document '
                    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                    f"<w:body>{body}</w:body></w:document>")


def responses(db: Path, round_name: str = ROUND) -> dict[str, dict]:
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute("SELECT * FROM responses WHERE round = ?", [round_name])
        names = [d[0] for d in cur.description]
        return {row[1]: dict(zip(names, row)) for row in cur.fetchall()}


def test_a_row_per_force_with_every_column(db):
    with duckdb.connect(str(db), read_only=True) as con:
        columns = [r[0] for r in con.execute("DESCRIBE responses").fetchall()]
        types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE responses)").fetchall())
    assert columns == RESPONSES_COLUMNS
    assert types["reply_date"] == "DATE" and types["chase"] == "BOOLEAN"
    rows = responses(db)
    assert set(rows) == {f.code for f in load_forces()}
    assert len(responses(db, LATER)) == 43


def test_data_for_every_year_asked_for_is_not_chased(db):
    row = responses(db)[TVP]
    assert row["response"] == "data"
    assert row["years_given"] == "2015/16, 2016/17"
    assert row["files"] == 3
    assert row["refusal_section"] is None
    # the latest date the letter is dated ('3rd April 2017' alone on a line), not the
    # request's ('dated 2 March 2017'), nor the files' modification times
    assert row["reply_date"] == date(2017, 4, 3)
    assert row["chase"] is False and row["chase_reason"] is None


def test_one_year_of_two_is_partial(db):
    row = responses(db)[DORSET]
    assert (row["response"], row["years_given"], row["files"]) == ("partial", "2016/17", 1)
    assert row["chase"] is True
    assert row["chase_reason"] == "gave 2016/17 only; 2015/16 was asked for"
    assert row["reply_date"] is None


def test_refusal_under_section_12(db):
    row = responses(db)[NORTH_YORKSHIRE]
    assert (row["response"], row["refusal_section"], row["files"]) == ("refused", "section 12", 1)
    assert row["years_given"] is None and row["reply_date"] is None
    assert row["chase"] is True
    assert row["chase_reason"] == "refused under section 12 (cost): ask for a narrower request"


def test_refusal_under_section_40_with_its_date(db):
    row = responses(db)[GLOUCESTERSHIRE]
    assert (row["response"], row["refusal_section"]) == ("refused", "section 40")
    assert row["reply_date"] == date(2017, 3, 14)  # not the date the request was received
    assert row["chase"] is True
    assert row["chase_reason"] == ("refused under section 40 (personal data): "
                                   "ask for counts with small numbers suppressed")


def test_nil_return_is_not_chased(db):
    row = responses(db)[DURHAM]
    assert row["response"] == "nil_return"
    assert row["years_given"] == "2015/16, 2016/17"
    assert row["reply_date"] == date(2017, 3, 21)
    assert row["chase"] is False and row["chase_reason"] is None


def test_every_file_quarantined(db):
    row = responses(db)[ESSEX]
    assert (row["response"], row["years_given"], row["files"]) == ("quarantined", None, 1)
    assert row["chase"] is True
    reason = row["chase_reason"]
    assert reason.startswith(f"every file quarantined: {ROUND}/Essex Police/reply.csv: offence ")
    assert "'Bicycle theft' at line 2, column B" in reason


def test_figures_beside_a_quarantined_file_are_partial(db):
    row = responses(db, LATER)[match_force("Kent").code]
    assert (row["response"], row["years_given"], row["files"]) == ("partial", "2016/17, 2017/18", 2)
    assert row["chase"] is True
    assert row["chase_reason"].startswith(f"1 of 2 data files not loaded: {LATER}/Kent/extra.csv: offence ")


def test_a_letter_without_figures_or_refusal(db):
    row = responses(db, LATER)[match_force("Surrey").code]
    assert (row["response"], row["refusal_section"], row["reply_date"]) == (
        "no_machine_readable_data", None, date(2018, 5, 5))
    assert row["chase"] is True
    assert row["chase_reason"] == "sent a letter with no figures and no refusal: ask for the figures"
    assert responses(db, LATER)[TVP]["response"] == "data"


def test_forces_with_no_folder_did_not_reply(db):
    rows = responses(db)
    absent = {code: row for code, row in rows.items()
              if code not in {TVP, DORSET, NORTH_YORKSHIRE, GLOUCESTERSHIRE, DURHAM, ESSEX}}
    assert len(absent) == 37
    for row in absent.values():
        assert (row["response"], row["files"], row["chase"], row["chase_reason"]) == ("no_reply", 0, True, "no reply")
        assert row["years_given"] is None and row["reply_date"] is None


def test_foi_chase_lists_the_forces_to_chase_by_name(db, capsys):
    assert main(["chase", "2017", "--warehouse", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{ROUND}: 41 force(s) to chase"
    body = lines[1:]
    assert len(body) == 41
    names = [line.split(": ", 1)[0] for line in body]
    assert names == sorted(names)
    assert "Thames Valley" not in names and "Durham" not in names
    assert "Dorset: gave 2016/17 only; 2015/16 was asked for" in body
    assert "North Yorkshire: refused under section 12 (cost): ask for a narrower request" in body
    assert ("Gloucestershire: refused under section 40 (personal data): "
            "ask for counts with small numbers suppressed") in body
    assert "Cambridgeshire: no reply" in body
    essex = next(line for line in body if line.startswith("Essex: "))
    assert essex.startswith("Essex: every file quarantined: ")
    # the full name works too
    assert main(["chase", ROUND, "--warehouse", str(db)]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == body


def test_foi_chase_a_round_that_means_none_or_several(db, capsys):
    assert main(["chase", "20", "--warehouse", str(db)]) != 0
    err = capsys.readouterr().err
    assert ROUND in err and LATER in err
    assert main(["chase", "2019", "--warehouse", str(db)]) != 0
    err = capsys.readouterr().err
    assert "2019" in err and ROUND in err and LATER in err
    assert main(["chase", "2017", "--warehouse", str(db.parent / "missing.duckdb")]) != 0


def test_foi_chase_with_nobody_to_chase(tmp_path, capsys):
    frame = pd.DataFrame([{
        "round": ROUND, "force_code": f.code, "force_name": f.name, "response": "data",
        "refusal_section": None, "years_given": "2016/17", "files": 1, "reply_date": None,
        "chase": False, "chase_reason": None} for f in load_forces()], columns=RESPONSES_COLUMNS)
    empty = {name: pd.DataFrame(columns=getattr(warehouse, name.upper() + "_COLUMNS"))
             for name in ("offences", "returns", "stated_totals", "force_replies")}
    db = tmp_path / "w.duckdb"
    warehouse.build(db, **empty, responses=frame)
    assert main(["chase", "2017", "--warehouse", str(db)]) == 0
    assert capsys.readouterr().out.strip() == f"{ROUND}: no forces to chase."


def test_build_without_responses_leaves_the_table_empty(tmp_path):
    empty = {name: pd.DataFrame(columns=getattr(warehouse, name.upper() + "_COLUMNS"))
             for name in ("offences", "returns", "stated_totals", "force_replies")}
    db = tmp_path / "w.duckdb"
    warehouse.build(db, **empty)
    assert warehouse.rows(db, "SELECT count(*) AS n FROM responses") == [{"n": 0}]


def test_the_refresh_flow_publishes_the_same_rows(raw, db, prefect_harness):
    from flows.refresh import run_refresh

    published = raw.parent / "published" / "foi.duckdb"
    result = run_refresh(raw, published)
    assert result.published, result.blocked_reasons
    for round_name in (ROUND, LATER):
        assert responses(published, round_name) == responses(db, round_name)


# --- the sample round ----------------------------------------------------------------------

def test_the_sample_round(tmp_path, capsys):
    db = tmp_path / "foi.duckdb"
    build(PROJECT_ROOT / "raw", db)
    rows = {r["force_name"]: r for r in responses(db, SAMPLE_ROUND).values()}
    assert (rows["North Yorkshire"]["response"], rows["North Yorkshire"]["refusal_section"]) == ("refused", "section 12")
    assert (rows["Gloucestershire"]["response"], rows["Gloucestershire"]["refusal_section"]) == ("refused", "section 40")
    assert rows["Cambridgeshire"]["response"] == "no_reply"
    assert (rows["Leicestershire"]["response"], rows["Leicestershire"]["years_given"]) == ("partial", "2016/17")
    assert sum(r["response"] == "data" for r in rows.values()) == 39
    assert main(["chase", "2017", "--warehouse", str(db)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{SAMPLE_ROUND}: 4 force(s) to chase",
        "Cambridgeshire: no reply",
        "Gloucestershire: refused under section 40 (personal data): ask for counts with small numbers suppressed",
        "Leicestershire: gave 2016/17 only; 2015/16 was asked for",
        "North Yorkshire: refused under section 12 (cost): ask for a narrower request",
    ]


# --- dates and round names -----------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Date: 14 March 2017\nDear Sir", date(2017, 3, 14)),
    ("Our ref: FOI 2017/0412 14/03/2017", date(2017, 3, 14)),
    ("Dated 14.03.17", date(2017, 3, 14)),
    ("Date of response: March 14, 2017", date(2017, 3, 14)),
    ("Date: 2017-03-14", date(2017, 3, 14)),
    ("14th of March 2017", date(2017, 3, 14)),
    ("Date received: 02/02/2017\nDate of response: 01/03/2017", date(2017, 3, 1)),
    ("Thank you for your request dated 2 February 2017.", None),
    ("Date: 31/02/2017", None),                       # no such day
    ("Date: 14 March 2016", None),                    # before the request was sent
    ("Figures for 2015/16 and 2016/17. Date 2016/17", None),  # financial years, not dates
    ("Date of birth 01/01/2017", None),
    ("Date: 1 January 2999", None),                   # after today
])
def test_letter_date(text, expected):
    assert letter_date(text, earliest=date(2017, 1, 1)) == expected


def test_letter_text_never_follows_a_link(tmp_path):
    target = tmp_path / "letter.txt"
    target.write_text("Date: 14 March 2017")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    assert "14 March 2017" in letter_text(target)
    assert letter_text(link) == ""


def test_resolve_round():
    rounds = ["2017-online-child-sex-offences", "2018-repeat", "2018-other"]
    assert resolve_round("2017", rounds) == "2017-online-child-sex-offences"
    assert resolve_round("2018-repeat", rounds + ["2018-repeat-b"]) == "2018-repeat"  # exact wins
    with pytest.raises(RoundNameError, match="2018-other, 2018-repeat"):
        resolve_round("2018", rounds)
    with pytest.raises(RoundNameError, match="the rounds are"):
        resolve_round("2020", rounds)


def test_reply_dates_come_from_the_readings_not_the_files(raw, tmp_path):
    """The worker that reads a letter finds its dates (ReplyReading.letter_dates); building
    the responses opens no file, so removing every letter after reading changes nothing."""
    import shutil

    copy = tmp_path / "raw"
    shutil.copytree(raw, copy)
    rounds, _ = discover_raw(copy)
    readings = [read_reply(f) for r in rounds for f in r.files]
    letters = [r for r in readings if not r.reply.is_data and r.letter_dates]
    assert letters, "the fixture's letters are dated"
    for r in letters:
        r.reply.path.unlink()
    facts = build_facts(rounds, readings, reviews={})
    rows = {row["force_code"]: row for row in facts.responses.to_dict("records") if row["round"] == ROUND}
    assert rows[GLOUCESTERSHIRE]["reply_date"].date() == date(2017, 3, 14)
