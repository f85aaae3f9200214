"""The facts stage: offence codes, one table per force-year, statuses per file."""
from __future__ import annotations

from pathlib import Path

from flows.discover import ReplyFile, Round
from flows.facts import OFFENCES_COLUMNS, build_facts
from flows.observations import Count, Observation
from flows.reading import LOADED, NOT_MACHINE_READABLE, ReplyReading

ROUND = "2017-test"
TVP, KENT, DORSET = "E23000029", "E23000032", "E23000039"


def reply(force: str, name: str, sha: str, is_data: bool = True) -> ReplyFile:
    return ReplyFile(
        round=ROUND, force_folder=force, force_code=force, path=Path("/nowhere") / name,
        rel_path=f"{ROUND}/{force}/{name}", sha256=sha, size_bytes=10,
        file_type=name.rsplit(".", 1)[-1], is_data=is_data, problem=None,
    )


def obs(year, offence, age, n, source, table="Data!A1:C9", suppressed=False):
    lo, hi = age if isinstance(age, tuple) else (age, age)
    count = Count(None, 1, 4, True, "*") if suppressed else Count.known(n)
    return Observation(year, offence, lo, hi, count, source, table)


def loaded(r: ReplyFile, observations, totals=()) -> ReplyReading:
    return ReplyReading(r, LOADED, layout="test", observations=list(observations), totals=list(totals))


def rnd(*readings) -> list[Round]:
    return [Round(name=ROUND, path=Path("/nowhere"), files=[x.reply for x in readings], problems=[],
                  forces_replied={x.reply.force_code for x in readings}, forces_not_replied=[])]


def test_offence_and_age_tables_of_one_force_year_are_counted_once():
    r = reply(TVP, "reply.xlsx", "a" * 64)
    by_offence = [obs("2016/17", "88A", None, 10, "Offences!C5", "Offences!B4:C6"),
                  obs("2016/17", "Indecent images of children", None, 5, "Offences!C6", "Offences!B4:C6")]
    by_age = [obs("2016/17", None, 13, 9, "Ages!C5", "Ages!B4:C7"),
              obs("2016/17", None, 14, 4, "Ages!C6", "Ages!B4:C7"),
              obs("2016/17", None, (None, None), 2, "Ages!C7", "Ages!B4:C7")]
    reading = loaded(r, by_offence + by_age)
    facts = build_facts(rnd(reading), [reading])
    df = facts.offences
    assert list(df.columns) == OFFENCES_COLUMNS
    assert len(df) == 5
    assert df.loc[df.in_totals, "offences"].sum() == 15  # the offence table, not 15 + 15
    assert set(df.loc[df.in_totals, "offence_code"]) == {"88A", "86"}
    assert df.loc[df.in_age_figures, "offences"].sum() == 15
    assert df.loc[df.in_age_figures, "victim_age_min"].dropna().tolist() == [13, 14]
    assert facts.returns.loc[0, "status"] == LOADED
    assert facts.returns.loc[0, "rows_loaded"] == 5


def test_tables_that_disagree_leave_the_force_year_out():
    r = reply(KENT, "reply.xlsx", "b" * 64)
    reading = loaded(r, [
        obs("2016/17", "88A", None, 10, "Offences!C5", "Offences!B4:C5"),
        obs("2016/17", None, 13, 12, "Ages!C5", "Ages!B4:C5"),
        obs("2015/16", "88A", None, 7, "Offences!D5", "Offences!B4:D5"),
    ])
    facts = build_facts(rnd(reading), [reading])
    assert set(facts.offences.financial_year) == {"2015/16"}
    message = facts.returns.loc[0, "message"]
    assert "conflict" in message and "2016/17" in message and "10" in message and "12" in message


def test_suppressed_parts_can_still_agree():
    r = reply(KENT, "reply.xlsx", "c" * 64)
    reading = loaded(r, [
        obs("2016/17", "88A", None, 10, "Offences!C5", "Offences!B4:C5"),
        obs("2016/17", None, 13, 8, "Ages!C5", "Ages!B4:C6"),
        obs("2016/17", None, 14, None, "Ages!C6", "Ages!B4:C6", suppressed=True),  # 1..4
    ])
    facts = build_facts(rnd(reading), [reading])
    assert len(facts.offences) == 3
    row = facts.offences[facts.offences.source == "Ages!C6"].iloc[0]
    assert bool(row.suppressed) and row.offences is None or str(row.offences) == "<NA>"
    assert row.offences_upper == 4


def test_unrecognised_offence_quarantines_the_file_and_names_the_cell():
    r = reply(DORSET, "reply.csv", "d" * 64)
    reading = loaded(r, [obs("2016/17", "Bicycle theft", None, 3, "line 4, column B"),
                         obs("2016/17", "88A", None, 3, "line 5, column B")])
    facts = build_facts(rnd(reading), [reading])
    assert facts.offences.empty
    row = facts.returns.iloc[0]
    assert row.status == "quarantined"
    assert "Bicycle theft" in row.message and "line 4, column B" in row.message
    replies = facts.force_replies.set_index("force_code")
    assert replies.loc[DORSET, "reply"] == "quarantined"


def test_the_same_bytes_twice_are_read_once():
    a = loaded(reply(TVP, "a.csv", "e" * 64), [obs("2016/17", "88A", None, 3, "line 2, column C")])
    b = loaded(reply(TVP, "b.csv", "e" * 64), [obs("2016/17", "88A", None, 3, "line 2, column C")])
    facts = build_facts(rnd(a, b), [a, b])
    assert facts.offences["offences"].sum() == 3
    assert sorted(facts.returns.status) == ["duplicate", "loaded"]


def test_force_replies_cover_every_force():
    data = loaded(reply(TVP, "a.csv", "f" * 64), [obs("2016/17", "88A", None, 3, "line 2, column C")])
    letter = ReplyReading(reply(KENT, "refusal.pdf", "0" * 64, is_data=False), NOT_MACHINE_READABLE,
                          message="refusal.pdf: no machine-readable data", refusal="section 12")
    facts = build_facts(rnd(data, letter), [data, letter])
    replies = facts.force_replies.set_index("force_code")["reply"]
    assert len(replies) == 43
    assert replies[TVP] == "data"
    assert replies[KENT] == "refused"
    assert replies[DORSET] == "no_reply"
