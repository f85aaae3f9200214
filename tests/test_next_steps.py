"""Every file not loaded says what the reviewer should do (schemas/next_steps.yaml)."""
from __future__ import annotations

from flows import reading as st
from flows.discover import discover_raw
from flows.facts import build_facts, next_step, next_steps
from flows.reading import read_reply

NOT_LOADED = [st.NOT_MACHINE_READABLE, st.QUARANTINED, st.UNMATCHED_FORCE, st.DUPLICATE, st.CONFLICT,
              st.NO_DATA, st.TOTALS_DISAGREE, st.EXCLUDED_BY_REVIEW]


def test_every_status_and_reason_has_a_step():
    steps = next_steps()
    for status in NOT_LOADED:
        assert next_step(status, None, steps), status
    for reason in (st.UNREADABLE, st.READER_FAILED, st.LAYOUT_DOUBTS, st.NOT_OPENED, "reader_crashed"):
        assert next_step(st.QUARANTINED, reason, steps) != steps[1][st.QUARANTINED], reason
    assert next_step(st.LOADED, None, steps) is None
    # these messages already name the limit or the cells and what to do
    assert next_step(st.QUARANTINED, "limit:sheet_rows", steps) is None
    assert next_step(st.QUARANTINED, "budget:read_seconds", steps) is None


def test_a_quarantined_file_says_what_to_do(tmp_path):
    raw = tmp_path / "raw" / "2017-steps"
    (raw / "Kent").mkdir(parents=True)
    (raw / "Kent" / "reply.csv").write_text("Year,Offence,Count\n2016/17,Sexual grooming,30\n")
    (raw / "Durham").mkdir()
    (raw / "Durham" / "reply.csv").write_text("Some figures\n12,7,9\n,,\nTotal 28\n")
    (raw / "Nowhere Police").mkdir()
    (raw / "Nowhere Police" / "reply.csv").write_text("Year,Offence,Count\n2016/17,88A,3\n")
    rounds, _ = discover_raw(tmp_path / "raw")
    facts = build_facts(rounds, [read_reply(f) for r in rounds for f in r.files], reviews={})
    by_folder = {row["force_folder"]: row for row in facts.returns.to_dict("records")}
    assert by_folder["Kent"]["status"] == st.LOADED and "What to do" not in str(by_folder["Kent"]["message"])
    durham = by_folder["Durham"]
    assert durham["status"] == st.QUARANTINED and durham["message"].startswith("2017-steps/Durham/reply.csv")
    assert "What to do: " in durham["message"] and ".. What" not in durham["message"]
    nowhere = by_folder["Nowhere Police"]
    assert nowhere["status"] == st.UNMATCHED_FORCE
    assert nowhere["message"].endswith("What to do: " + next_steps()[1][st.UNMATCHED_FORCE])
