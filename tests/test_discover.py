"""Discovery over a raw tree written by the test."""
from __future__ import annotations

import hashlib

from flows.discover import discover_raw

ROUND = "2017-online-child-sex-offences"


def write(path, data: bytes = b"x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_discovers_files_forces_and_problems(tmp_path):
    raw = tmp_path / "raw"
    r = raw / ROUND
    write(r / "TVP" / "reply.xlsx", b"PK-xlsx")
    write(r / "TVP" / "covering letter.pdf", b"%PDF")
    write(r / "TVP" / ".DS_Store")
    write(r / "TVP" / "~$reply.xlsx")
    write(r / "greater_manchester_police" / "2016" / "data.CSV", b"a,b\n1,2\n")
    write(r / "Kent" / "old.xls", b"\xd0\xcf")
    write(r / "Kent" / "new.ods", b"PK-ods")
    write(r / "Kent Police" / "again.xlsm", b"PK-xlsm")
    write(r / "Yorkshire" / "reply.xlsx", b"PK")
    write(raw / "misc" / "notes.txt")
    write(raw / "README.md")

    rounds, problems = discover_raw(raw)
    assert [x.name for x in rounds] == [ROUND]
    assert len(problems) == 1 and "misc" in problems[0]
    rnd = rounds[0]
    files = {f.rel_path: f for f in rnd.files}
    assert sorted(files) == sorted([
        f"{ROUND}/TVP/reply.xlsx", f"{ROUND}/TVP/covering letter.pdf",
        f"{ROUND}/greater_manchester_police/2016/data.CSV", f"{ROUND}/Kent/old.xls",
        f"{ROUND}/Kent/new.ods", f"{ROUND}/Kent Police/again.xlsm", f"{ROUND}/Yorkshire/reply.xlsx",
    ])
    tvp = files[f"{ROUND}/TVP/reply.xlsx"]
    assert tvp.force_code == "E23000029" and tvp.is_data and tvp.file_type == "xlsx"
    assert tvp.sha256 == hashlib.sha256(b"PK-xlsx").hexdigest()
    assert tvp.size_bytes == 7
    letter = files[f"{ROUND}/TVP/covering letter.pdf"]
    assert not letter.is_data and letter.file_type == "pdf"
    assert files[f"{ROUND}/greater_manchester_police/2016/data.CSV"].force_code == "E23000005"
    assert files[f"{ROUND}/greater_manchester_police/2016/data.CSV"].file_type == "csv"
    assert files[f"{ROUND}/Kent Police/again.xlsm"].file_type == "xlsx"
    yorks = files[f"{ROUND}/Yorkshire/reply.xlsx"]
    assert yorks.force_code is None and "could be any of" in yorks.problem
    assert any("Yorkshire" in p for p in rnd.problems)
    assert any("same force" in p and "Kent" in p for p in rnd.problems)
    assert rnd.forces_replied == {"E23000029", "E23000005", "E23000032"}
    assert len(rnd.forces_not_replied) == 40
