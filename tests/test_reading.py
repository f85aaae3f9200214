"""Letters: the refusal section is picked out of txt, docx and pdf text."""
from __future__ import annotations

import zipfile

from flows.reading import refusal_in


def test_refusal_in_plain_text(tmp_path):
    p = tmp_path / "letter.txt"
    p.write_text("We estimate the cost would exceed the limit; Section 12 of the Act applies.")
    assert refusal_in(p) == "section 12"


def test_refusal_in_docx(tmp_path):
    p = tmp_path / "letter.docx"
    xml = ('<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           "<w:body><w:p><w:r><w:t>exempt under section 40(2) personal information</w:t></w:r></w:p>"
           "</w:body></w:document>")
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("word/document.xml", xml)
    assert refusal_in(p) == "section 40"


def test_refusal_in_pdf_text_operators(tmp_path):
    p = tmp_path / "letter.pdf"
    p.write_bytes(b"%PDF-1.4\nBT /F1 12 Tf 72 720 Td (Refused under Section 12 \\(cost\\)) Tj ET\n%%EOF")
    assert refusal_in(p) == "section 12"


def test_no_section_no_refusal(tmp_path):
    p = tmp_path / "cover.txt"
    p.write_text("Please find attached our response.")
    assert refusal_in(p) is None


def test_a_recipe_for_one_force_never_reads_another_forces_file(tmp_path):
    import openpyxl

    from flows.cells import read_workbook
    from flows.layouts import read_file
    from flows.layouts.mapping import recipe_from

    path = tmp_path / "response.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    for row in (["Year", "Offence", "Qty"], ["2016/17", "88A", 7]):
        wb.active.append(row)
    wb.save(path)
    recipe = recipe_from({"match": {"force": "Cumbria", "round": "2017-*", "file_name": "response.xlsx"},
                          "read_as": "long", "headers": {"count": ["Qty"]}}, "cumbria-2017")
    workbook = read_workbook(path)
    mine = read_file(workbook, file_name="response.xlsx", mappings=[recipe],
                     force_code="E23000002", round_name="2017-online")
    assert mine.layout.startswith("mapping:") and [o.count.value for o in mine.observations] == [7]
    other_force = read_file(workbook, file_name="response.xlsx", mappings=[recipe],
                            force_code="E23000032", round_name="2017-online")
    other_round = read_file(workbook, file_name="response.xlsx", mappings=[recipe],
                            force_code="E23000002", round_name="2018-online")
    assert not other_force.layout.startswith("mapping:")
    assert not other_round.layout.startswith("mapping:")
