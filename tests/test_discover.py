"""Discovery over a raw tree written by the test."""
from __future__ import annotations

import hashlib

from flows.discover import discover_raw, discover_round, sha256_of

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


def test_litter_odd_files_and_non_territorial_folders(tmp_path):
    raw = tmp_path / "raw"
    r = raw / "2019-online-child-sex-offences"
    write(r / "Herts" / "Thumbs.db")
    write(r / "Herts" / ".git" / "config")
    write(r / "Herts" / "response.docx", b"PK-docx")
    write(r / "Herts" / "README", b"no suffix")
    write(r / "Herts" / "figures.XLSX", b"PK")
    write(r / "British Transport Police" / "btp.xlsx", b"PK")
    write(r / "stray.xlsx", b"PK")
    write(r / ".DS_Store")

    [rnd], problems = discover_raw(raw)
    assert problems == []
    files = {f.rel_path.split("/", 1)[1]: f for f in rnd.files}
    assert sorted(files) == [
        "British Transport Police/btp.xlsx", "Herts/README", "Herts/figures.XLSX",
        "Herts/response.docx",
    ]
    assert (files["Herts/response.docx"].file_type, files["Herts/response.docx"].is_data) == ("docx", False)
    assert (files["Herts/README"].file_type, files["Herts/README"].is_data) == ("none", False)
    assert files["Herts/figures.XLSX"].is_data and files["Herts/figures.XLSX"].force_code == "E23000027"
    btp = files["British Transport Police/btp.xlsx"]
    assert btp.force_code is None and "not one of the 43 territorial forces" in btp.problem
    assert any("stray.xlsx" in p and "no force" in p for p in rnd.problems)
    assert rnd.forces_replied == {"E23000027"}
    assert "E23000027" not in rnd.forces_not_replied and len(rnd.forces_not_replied) == 42


def test_discovery_is_deterministic_and_paths_are_absolute(tmp_path):
    r = tmp_path / "raw" / "2017-x"
    for folder in ("Kent", "kent police", "Sussex", "GMP"):
        for name in ("b.csv", "a.csv", "c/d.csv"):
            write(r / folder / name, f"{folder}/{name}".encode())
    first = discover_round(r)
    again = discover_round(r)
    assert first == again
    keys = [(f.force_folder, f.rel_path) for f in first.files]
    assert keys == sorted(keys)
    for f in first.files:
        _round, folder, name = f.rel_path.split("/", 2)
        assert f.path.is_absolute() and f.path.read_bytes() == f"{folder}/{name}".encode()
    assert any("same force" in p and "'Kent'" in p and "'kent police'" in p for p in first.problems)
    assert [f.rel_path for f in first.files if f.force_folder == "GMP"] == [
        "2017-x/GMP/a.csv", "2017-x/GMP/b.csv", "2017-x/GMP/c/d.csv"]


def test_sha256_is_streamed_over_chunks(tmp_path):
    data = bytes(range(256)) * 5000  # 1.28 MB: more than one default chunk
    path = write(tmp_path / "big.xlsx", data)
    assert sha256_of(path) == hashlib.sha256(data).hexdigest()
    assert sha256_of(path, chunk=7) == hashlib.sha256(data).hexdigest()
