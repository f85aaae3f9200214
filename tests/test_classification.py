"""The offence classification: labels as forces write them, the unknown-row rule, shapes
of real replies, the cache key over reference files, and readers in threads."""
from __future__ import annotations

import csv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pytest

from flows import SCHEMAS
from flows.cells import read_workbook
from flows.classification import classify, reference
from flows.discover import discover_raw
from flows.layouts import read_file
from flows.reading import LOADED, QUARANTINED, read_reply, reader_fingerprint

# ------------------------------------------------------------------ wordings -> classes

WORDINGS = [
    # ONS class descriptions, any case, indented, padded
    ("Rape of a female child under 13", {"19E"}), ("  RAPE OF A MALE CHILD UNDER 16  ", {"19G"}),
    ("Sexual Assault On A Female Aged 13 And Over", {"20A"}), ("\tSexual grooming", {"88A"}),
    ("Exposure and voyeurism", {"88E"}), ("Causing sexual activity without consent", {"22A"}),
    # Sexual Offences Act 2003 section titles, with and without the section
    ("Causing or inciting a child to engage in sexual activity", {"22B"}),
    ("Causing or inciting a child to engage in sexual activity (s.10)", {"22B"}),
    ("Causing or inciting a child under 13 to engage in sexual activity", {"21"}),
    ("Rape of a child under 13", {"19E", "19H"}), ("Assault of a child under 13 by penetration", {"17B", "20B"}),
    ("Sexual communication with a child (s.15A)", {"88A"}), ("Abuse of position of trust: sexual activity with a child", {"73"}),
    ("Sexual activity with a child family member", {"23"}), ("Paying for sexual services of a child", {"71"}),
    ("Voyeurism", {"88E"}), ("Exposure", {"88E"}),
    # Protection of Children Act 1978 / CJA 1988 wording and crime-system titles
    ("Possession of indecent photograph of child", {"86"}),
    ("DISTRIBUTE OR SHOW INDECENT PHOTOGRAPH OR PSEUDO-PHOTOGRAPH OF A CHILD", {"86"}),
    ("Adult engage in sexual communication with a child under 16", {"88A"}),
    ("Sexual activity with a child under 16 - offender 18 or over", {"22B"}),
    # class codes and sub-codes as forces print them; the code decides, the words agree
    ("19C - Rape of a female aged 16 and over", {"19C"}), ("HO code 86", {"86"}),
    ("019/11 - Rape of a girl aged 13 to 15", {"19D"}), ("086/01 - Take indecent photograph of a child", {"86"}),
    ("088/26 Voyeurism - record an image of a private act", {"88E"}), ("71/17", {"88A"}),
    ("Sexual grooming (88A)", {"88A"}), ("022/02 Cause a person to engage in sexual activity without consent", {"22A"}),
    # abbreviations, read word by word
    ("Rape U13 (F)", {"19E"}), ("Rape (M 13-15)", {"19G"}), ("Rape (F 16-17)", {"19C"}),
    ("Sex assault (F 13+)", {"20A"}), ("Sex assault U13 (M)", {"17B"}), ("Incite U13 sex act", {"21"}),
    ("IIOC - possession", {"86"}), ("Sex comms w/ child", {"88A"}), ("Cause sex act w/o consent", {"22A"}),
    ("CSE", {"71"}), ("Misc sex offence", {"88C"}), ("Indecent exposure", {"88E"}),
    ("Sex Off - Rape of Female 16+", {"19C"}), ("Rape of a Female Child Under 16 - Penile Penetration", {"19D"}),
    ("Indecent images of children - possession (Cat A)", {"86"}), ("Indecent exposure (flashing)", {"88E"}),
    ("Sexual assault on a female aged 13 or over - penetration with object", {"20A"}),
    ("Sexual activity with a child under 13 - non-penetrative", {"21"}),
    ("Administer substance with intent to engage in sexual activity", {"88C"}),
    ("Incest - male with female under 13", {"23"}),  # the class does not turn on sex: both sexes named
    ("Indecent assault on a female", {"20A", "20B"}),  # historic, recorded as if committed today
    ("Buggery", {"88D"}), ("Voyeurism - operating equipment to record under clothing", {"88E"}),
    # an Act and a section alone: the section's titles give the classes
    ("Sexual Offences Act 2003 s.8", {"21"}), ("SOA s15A", {"88A"}), ("S.3 SOA 2003", {"17A", "20A"}),
    ("Section 1 Protection of Children Act 1978", {"86"}),
]


@pytest.mark.parametrize("label, classes", WORDINGS)
def test_each_wording_names_its_classes(label, classes):
    assert classify(label).classes == classes


@pytest.mark.parametrize("label, why", [
    ("Burglary", "matches no offence class"),
    ("Rape or sexual assault", "matches no offence class"),  # two kinds: never one guessed
    ("Outraging public decency", "matches no offence class"),
    ("88E - Sexual communication with a child", "disagree"),  # the code contradicts the words
    ("019/13 - Sexual assault of a child under 13", "disagree"),
    ("86 Burglary", "no class of the reference has"),
    ("106 - Modern slavery", "is not a class"),
    ("SOA 2003 s.5 and 6", "matches no offence class"),  # two sections: not one offence
    ("SOA 2003 s.99", "matches no offence class"),
    ("Disclosing private sexual photographs", "matches no offence class"),  # 008/71, not a sexual offence
    ("Breach of sexual harm prevention order", "matches no offence class"),
])
def test_an_unknown_or_contradicted_label_is_never_guessed(label, why):
    c = classify(label)
    assert not c.classes and why in c.reason
    assert "schemas/offence_titles.csv" in c.describe_unknown()  # the line that would settle it


def test_an_unknown_label_is_reported_with_its_nearest_titles():
    c = classify("Causing or inciting a child to engage in sexual activities online")
    assert not c.classes
    assert any("Causing or inciting a child to engage in sexual activity" in n for n in c.candidates)


def test_every_reference_row_cites_a_source_and_every_title_names_known_classes():
    sources = {r["source"] for r in csv.DictReader(open(SCHEMAS / "offence_sources.csv", encoding="utf-8"))}
    for name in ("offences.csv", "offence_titles.csv"):
        for row in csv.DictReader(open(SCHEMAS / name, encoding="utf-8")):
            cited = [s for s in row["source"].split(";") if s]
            assert cited and set(cited) <= sources, (name, row)
    ref = reference()
    assert {"19C", "19D", "19E", "19F", "19G", "19H", "17A", "17B", "20A", "20B", "21", "22A", "22B",
            "23", "70", "71", "73", "86", "88A", "88C", "88E"} <= set(ref.classes)
    for classes in ref.titles.values():
        assert classes <= set(ref.classes)


# --------------------------------------------------------------- files the tests write

def write_xlsx(path: Path, rows, title="Data", merges=()) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(list(row))
    for m in merges:
        ws.merge_cells(m)
    wb.save(path)
    return path


def read_path(path: Path):
    return read_file(read_workbook(path), file_name=path.name)


def by_label(result) -> dict[tuple[str, str], int | None]:
    return {(o.financial_year, o.offence): o.count.value for o in result.observations}


def test_an_unknown_row_loads_unclassified_when_the_stated_total_proves_it(tmp_path):
    path = write_xlsx(tmp_path / "reply.xlsx", [
        ["Online child sexual offences"], [],
        ["Offence", "2019/20", "2020/21"],
        ["Rape U13 (F)", 3, 4],
        ["Breach of a sexual harm prevention order", 2, 1],  # no class of its own here
        ["IIOC - possession", 10, 12],
        ["Total", 15, 17],
    ])
    result = read_path(path)
    assert result.problems == []
    assert by_label(result)[("2019/20", "Breach of a sexual harm prevention order")] == 2
    proven = [o for o in result.observations if o.unclassified]
    assert {o.source for o in proven} == {"Data!B5", "Data!C5"}
    assert all(o.unclassified in ("Data!B7", "Data!C7") for o in proven)
    assert any("loaded as unclassified" in n and "Data!B5" in n for n in result.notes)


def test_an_unknown_row_without_a_proving_total_quarantines_the_file(tmp_path):
    path = write_xlsx(tmp_path / "reply.xlsx", [
        ["Offence", "2019/20"], ["Rape U13 (F)", 3], ["Breach of a sexual harm prevention order", 2],
    ])
    result = read_path(path)
    assert any("Breach of a sexual harm prevention order" in p.message and "Data!A3" in p.message
               for p in result.problems)
    # ... and a total that adds up without it proves nothing
    path = write_xlsx(tmp_path / "reply2.xlsx", [
        ["Offence", "2019/20"], ["Rape U13 (F)", 3], ["Breach of a sexual harm prevention order", 2], ["Total", 3],
    ])
    assert read_path(path).problems


def test_a_nil_return_in_words_gives_zero_for_each_year_it_names(tmp_path):
    path = write_xlsx(tmp_path / "reply.xlsx", [
        ["Freedom of Information request 2021/123"],
        ["You asked for online-flagged child sexual offences for 2019/20 and 2020/21."],
        ["I can confirm that no offences meeting the criteria were recorded in either year."],
    ])
    result = read_path(path)
    assert by_label(result) == {("2019/20", None): 0, ("2020/21", None): 0}
    # a letter that says nothing was recorded but names no year gives nothing
    path = write_xlsx(tmp_path / "reply2.xlsx", [["No offences were recorded."]])
    assert read_path(path).observations == []


def test_one_year_not_available_loads_the_other_and_says_so(tmp_path):
    path = write_xlsx(tmp_path / "reply.xlsx", [
        ["Offence", "2019/20", "2020/21"],
        ["Rape U13 (F)", "Not available", 4], ["Sex comms w/ child", "Not available", 9],
        ["Total", "Not available", 13],
    ])
    result = read_path(path)
    assert result.problems == []
    assert by_label(result) == {("2020/21", "Rape U13 (F)"): 4, ("2020/21", "Sex comms w/ child"): 9}
    assert any("2019/20: every figure says it is not available" in n for n in result.notes)


def test_all_offences_beside_of_which_online_reads_the_online_columns_only(tmp_path):
    result = read_path(write_xlsx(tmp_path / "reply.xlsx", [
        ["Offence", "2019/20", None, "2020/21", None],
        [None, "All child sexual offences", "of which: online flag", "All child sexual offences", "of which: online flag"],
        ["Rape U13 (F)", 40, 3, 38, 5], ["Sex comms w/ child", 20, 18, 25, 22]], merges=("B1:C1", "D1:E1")))
    assert result.problems == []
    assert by_label(result) == {("2019/20", "Rape U13 (F)"): 3, ("2019/20", "Sex comms w/ child"): 18,
                                ("2020/21", "Rape U13 (F)"): 5, ("2020/21", "Sex comms w/ child"): 22}


def test_a_sheet_of_all_offences_beside_the_online_sheet_is_not_read(tmp_path):
    wb = openpyxl.Workbook()
    every = wb.active
    every.title = "All offences"
    for row in [["All sexual offences against children, online or not"], [], ["Offence", "2019/20"],
                ["Rape U13 (F)", 40], ["Total", 40]]:
        every.append(row)
    online = wb.create_sheet("Online flag")
    for row in [["Sexual offences against children with the online flag"], [], ["Offence", "2019/20"],
                ["Rape U13 (F)", 3], ["Total", 3]]:
        online.append(row)
    wb.save(tmp_path / "reply.xlsx")
    result = read_path(tmp_path / "reply.xlsx")
    assert result.problems == [] and by_label(result) == {("2019/20", "Rape U13 (F)"): 3}
    assert result.sheets["All offences"].startswith("skipped")


def test_a_pivot_export_with_blank_and_grand_total(tmp_path):
    path = write_xlsx(tmp_path / "reply.xlsx", [
        ["Online Crime Flag", "Y"], [],
        ["Count of Crime Reference", "Column Labels"],
        ["Row Labels", "2019/20", "2020/21", "Grand Total"],
        [13, 5, 6, 11], [14, 7, 8, 15], ["(blank)", 2, None, 2],
        ["Grand Total", 14, 14, 28],
    ])
    result = read_path(path)
    assert result.problems == []
    ages = {(o.financial_year, o.age_min): o.count.value for o in result.observations}
    assert ages == {("2019/20", 13): 5, ("2019/20", 14): 7, ("2019/20", None): 2,
                    ("2020/21", 13): 6, ("2020/21", 14): 8}


def test_a_pivot_in_outline_form_years_heading_their_offences(tmp_path):
    path = write_xlsx(tmp_path / "reply.xlsx", [
        ["Online Flag", "Y"], [],
        ["Row Labels", "Count of Occurrence Ref"],
        ["2019/20", 9], ["086/09 Possess indecent photograph of a child", 4], ["Sex comms w/ child", 5],
        ["2020/21", 3], ["086/09 Possess indecent photograph of a child", 3],
        ["Grand Total", 12],
    ])
    result = read_path(path)
    assert result.problems == []
    assert by_label(result) == {("2019/20", "086/09 Possess indecent photograph of a child"): 4,
                                ("2019/20", "Sex comms w/ child"): 5,
                                ("2020/21", "086/09 Possess indecent photograph of a child"): 3}
    assert {t.source for t in result.totals} == {"Data!B4", "Data!B7", "Data!B9"}
    # a year heading whose figure is not its rows' total is caught
    path = write_xlsx(tmp_path / "bad.xlsx", [["Row Labels", "Count of Occurrence Ref"], ["2019/20", 10],
                                                ["Sex comms w/ child", 5], ["Grand Total", 5]])
    assert any("does not match its parts" in p.message for p in read_path(path).problems)


def test_a_table_of_mostly_unknown_labels_is_not_proven_by_its_total(tmp_path):
    path = write_xlsx(tmp_path / "reply.xlsx", [
        ["Offence", "2019/20"], ["Burglary", 3], ["Robbery", 2], ["Sex comms w/ child", 1], ["Total", 6],
    ])
    assert any("most of the table's offence labels are unknown" in p.message for p in read_path(path).problems)


def test_group_subtotals_under_merged_group_cells(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for row in [["Offence group", "Offence", "2019/20"],
                ["Rape offences", "Rape U13 (F)", 4], [None, "Rape (F 13-15)", 6], [None, "Total", 10],
                ["Images", "IIOC - making", 7], [None, "IIOC - possession", 5], [None, "Total", 12],
                ["All offences", None, 22]]:
        ws.append(row)
    ws.merge_cells("A2:A4")
    ws.merge_cells("A5:A7")
    ws.merge_cells("A8:B8")
    wb.save(tmp_path / "reply.xlsx")
    result = read_path(tmp_path / "reply.xlsx")
    assert result.problems == []
    assert sum(o.count.value for o in result.observations) == 22
    assert len(result.totals) == 3


def test_tables_side_by_side_are_each_read(tmp_path):
    path = write_xlsx(tmp_path / "reply.xlsx", [
        ["Offence", "2019/20", None, "Age band", "2019/20"],
        ["Rape U13 (F)", 4, None, "0 to 12", 4],
        ["Sex comms w/ child", 6, None, "13 to 15", 6],
        ["Total", 10, None, "Total", 10],
    ])
    result = read_path(path)
    assert result.problems == []
    assert sum(o.count.value for o in result.observations if o.offence) == 10
    assert sum(o.count.value for o in result.observations if o.age_min is not None) == 10


def test_records_with_blank_ages_and_ages_outside_0_to_17(tmp_path):
    path = tmp_path / "records.csv"
    path.write_text("Occurrence No,Recorded Date/Time,Offence Title,Age of victim (yrs)\n"
                    "A1,01/04/2019 10:00,Rape U13 (F),12\n"
                    "A2,02/05/2019 11:00,IIOC - possession,\n"
                    "A3,03/06/2019 12:00,Sex comms w/ child,19\n"
                    "A4,31/03/2020 23:59,Sex comms w/ child,Not known\n", encoding="utf-8")
    result = read_path(path)
    assert result.problems == []
    ages = sorted((o.financial_year, -1 if o.age_min is None else o.age_min) for o in result.observations)
    assert ages == [("2019/20", -1), ("2019/20", -1), ("2019/20", 12)]  # age 19 left out, noted
    assert any("18 or over" in n for n in result.notes)


# ------------------------------------------------------------ an analyst's fix, threads

def forget_reference():
    """What a new refresh process starts with: the reference read again (tests only)."""
    from flows.layouts import crosstab

    reference.cache_clear()
    classify.cache_clear()
    crosstab._text_kinds.cache_clear()


def test_an_alias_added_to_the_reference_changes_the_cache_key_and_loads_the_reply(tmp_path):
    raw = tmp_path / "raw" / "2021-test" / "Kent"
    raw.mkdir(parents=True)
    (raw / "reply.csv").write_text("Offence,2019/20\nRape U13 (F),3\nOnline sexual harm offence,2\n",
                                   encoding="utf-8")
    [reply] = discover_raw(tmp_path / "raw")[0][0].files
    titles = SCHEMAS / "offence_titles.csv"
    before_text, before_key = titles.read_text(encoding="utf-8"), reader_fingerprint()
    assert read_reply(reply).status == QUARANTINED
    try:
        titles.write_text(before_text + "88C,Online sexual harm offence,,test alias,,,SOA2003\n", encoding="utf-8")
        forget_reference()
        assert reader_fingerprint() != before_key
        assert read_reply(reply).status == LOADED
    finally:
        titles.write_text(before_text, encoding="utf-8")
        forget_reference()
    assert reader_fingerprint() == before_key


def test_readers_in_threads_get_exactly_what_a_serial_read_gets(tmp_path):
    paths = []
    for i in range(12):
        rows = [["Offence", "2019/20", "2020/21"]]
        rows += [[label, i + j, 2 * i + j] for j, (label, _) in enumerate(WORDINGS[i:i + 6])]
        paths.append(write_xlsx(tmp_path / f"reply{i}.xlsx", rows))

    def signature(path):
        r = read_path(path)
        return sorted((o.financial_year, o.offence, o.count.value, o.source) for o in r.observations), \
            sorted(p.message for p in r.problems)

    serial = [signature(p) for p in paths]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(signature, paths * 4))
    assert threaded == serial * 4


def test_an_old_xls_with_years_as_rows_and_offence_groups_as_columns(tmp_path):
    from corpus import xls

    path = xls(tmp_path / "reply.xls", [
        ["Online child sexual offences"], [],
        ["Year", "Rape", "Sexual assault", "Child sexual activity", "Indecent images of children",
         "Sexual grooming", "Other", "Total"],
        ["2015/16", 10, 20, 30, 40, 5, 3, 108], ["2016/17", 11, 21, 31, 41, 6, 4, 114],
    ])
    result = read_path(path)
    assert result.problems == []
    totals = {}
    for o in result.observations:
        totals[o.financial_year] = totals.get(o.financial_year, 0) + o.count.value
    assert totals == {"2015/16": 108, "2016/17": 114}
    # 'Other' names no class: loaded unclassified because each year's Total needs it
    assert {o.source for o in result.observations if o.unclassified} == {"Data!G4", "Data!G5"}
    assert {classify(o.offence).classes for o in result.observations if o.offence == "Rape"} == \
        {frozenset({"19C", "19D", "19F", "19G"})}


def test_years_in_a_merged_two_row_header(tmp_path):
    for merges, rows in (
        (["B1:C1", "A1:A2"], [["Offence", "Financial year", None], [None, "2019/20", "2020/21"]]),
        (["A1:A2", "B1:B2", "C1:C2"], [["Offence", "2019/20", "2020/21"], [None, None, None]]),
    ):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Data"
        for row in rows + [["Rape U13 (F)", 1, 2], ["Sex comms w/ child", 3, 4], ["Total", 4, 6]]:
            ws.append(row)
        for m in merges:
            ws.merge_cells(m)
        wb.save(tmp_path / "reply.xlsx")
        result = read_path(tmp_path / "reply.xlsx")
        assert result.problems == []
        assert by_label(result) == {("2019/20", "Rape U13 (F)"): 1, ("2019/20", "Sex comms w/ child"): 3,
                                    ("2020/21", "Rape U13 (F)"): 2, ("2020/21", "Sex comms w/ child"): 4}


def test_offences_across_and_ages_down_beside_a_total_column(tmp_path):
    # 'Age' and 'Total' also look like a long table's headings; only the crosstab accounts
    # for every number and adds up, so it is the reading taken
    path = write_xlsx(tmp_path / "reply.xlsx", [
        ["Financial year 2019/20"], [],
        ["Age", "Rape U13 (F)", "Sex comms w/ child", "Total"], [11, 1, 2, 3], [12, 0, 4, 4], ["Total", 1, 6, 7],
    ])
    result = read_path(path)
    assert result.problems == []
    ages = {(o.age_min, o.offence): o.count.value for o in result.observations}
    assert ages == {(11, "Rape U13 (F)"): 1, (11, "Sex comms w/ child"): 2, (12, "Rape U13 (F)"): 0,
                    (12, "Sex comms w/ child"): 4}


@pytest.mark.parametrize("text, year", [
    ("Year ending March 2020", "2019/20"), ("YE Mar 2021", "2020/21"), ("Year to 31 March 2021", "2020/21"),
    ("Year ending December 2020", None),  # a calendar year
])
def test_ons_style_year_ending_march(text, year):
    from flows import labels

    assert labels.financial_year(text) == year
    assert labels.is_calendar_year(text) == (year is None)


@pytest.mark.parametrize("heading, role", [
    ("Victim's age at time of offence", "victim_age"), ("Age (years)", "victim_age"), ("Offender age", None),
    ("Date Crime Recorded", "date_recorded"), ("Recorded date (dd/mm/yyyy)", "date_recorded"),
    ("Committed date", None), ("Date of birth", None), ("HO Offence Code", "offence_code"),
    ("Crime Type Description", "offence"), ("Number of Offences Recorded", "count"),
    ("Occurrence Reference", "crime_reference"), ("Year of recording", "financial_year"),
    ("Count of Crime Reference", "count"), ("Row Labels", "offence"), ("Postcode", None),
    ("Number of victims", None), ("Number of suspects", None), ("Total arrests", None),
])
def test_column_headings_are_read_by_their_words(heading, role):
    from flows.layouts.columns import role_of

    assert role_of(heading) == role


def test_a_record_list_with_headings_in_other_words(tmp_path):
    path = write_xlsx(tmp_path / "records.xlsx", [
        ["Occurrence Reference", "Date Crime Recorded", "Date Committed", "Crime Type Description",
         "Victim's age at time of offence"],
        ["X1", "15/03/2020", "01/01/2018", "Sex comms w/ child", 14],
        ["X2", "02/04/2020", "01/03/2020", "IIOC - possession", None],
    ])
    result = read_path(path)
    assert result.problems == []
    # the year comes from the recorded date, never the committed one
    assert sorted((o.financial_year, o.age_min or -1) for o in result.observations) == \
        [("2019/20", 14), ("2020/21", -1)]


def test_figures_split_by_the_victims_sex_are_added_up_and_each_total_checked(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for row in [["Offence", "2019/20", None, None, "2020/21", None, None],
                [None, "Female", "Male", "Total", "Girls", "Boys", "Total"],
                ["Rape U13 (F)", 3, 0, 3, 2, 0, 2], ["Sex comms w/ child", 5, 2, 7, 6, 1, 7],
                ["Total", 8, 2, 10, 8, 1, 9]]:
        ws.append(row)
    ws.merge_cells("B1:D1")
    ws.merge_cells("E1:G1")
    wb.save(tmp_path / "reply.xlsx")
    result = read_path(tmp_path / "reply.xlsx")
    assert result.problems == []
    totals = {}
    for o in result.observations:
        totals[o.financial_year] = totals.get(o.financial_year, 0) + o.count.value
    assert totals == {"2019/20": 10, "2020/21": 9}
    assert len(result.totals) == 10  # each sex's Total column and the Total row: checks, never added
    # a Total column that does not add up is caught, per sex split
    ws["D4"] = 8
    wb.save(tmp_path / "bad.xlsx")
    assert any("Data!D4" in p.message for p in read_path(tmp_path / "bad.xlsx").problems)


def test_a_spacer_column_inside_one_table_does_not_split_it(tmp_path):
    path = write_xlsx(tmp_path / "reply.xlsx", [
        ["Offence", "2019/20", None, "2020/21"], ["Rape U13 (F)", 3, None, 4], ["Sex comms w/ child", 5, None, 6],
    ])
    result = read_path(path)
    assert result.problems == []
    assert by_label(result)[("2020/21", "Sex comms w/ child")] == 6


def test_a_notes_sheet_saying_none_were_recorded_is_no_nil_return_beside_figures(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for row in [["Offence", "2019/20"], ["Sex comms w/ child", 5]]:
        ws.append(row)
    notes = wb.create_sheet("Notes")
    notes.append(["No offences were recorded where the victim's age was not known in 2019/20."])
    wb.save(tmp_path / "reply.xlsx")
    result = read_path(tmp_path / "reply.xlsx")
    assert by_label(result) == {("2019/20", "Sex comms w/ child"): 5}


def test_a_lone_sheet_named_all_offences_is_read_but_a_title_saying_online_or_not_is_not(tmp_path):
    path = write_xlsx(tmp_path / "reply.xlsx", [["Offence", "2019/20"], ["Sex comms w/ child", 5]],
                      title="All offences")
    assert by_label(read_path(path)) == {("2019/20", "Sex comms w/ child"): 5}
    path = write_xlsx(tmp_path / "reply2.xlsx", [["All sexual offences against children, online or not"], [],
                                                  ["Offence", "2019/20"], ["Sex comms w/ child", 5]])
    result = read_path(path)
    assert result.observations == [] and any("online or not" in p.message for p in result.problems)


def facts_of(tmp_path: Path, write) -> object:
    from flows.facts import build_facts

    folder = tmp_path / "raw" / "2021-test" / "Kent"
    folder.mkdir(parents=True)
    write(folder)
    rounds, _ = discover_raw(tmp_path / "raw")
    readings = [read_reply(r) for r in rounds[0].files]
    return readings, build_facts(rounds, readings)


def test_sheets_by_offence_group_are_joined_and_a_table_by_group_beside_offences_is_not(tmp_path):
    def per_group(folder):
        wb = openpyxl.Workbook()
        rape = wb.active
        rape.title = "Rape"
        for row in [["Offence", "2019/20"], ["Rape U13 (F)", 3], ["Rape (F 13-15)", 4], ["Total", 7]]:
            rape.append(row)
        images = wb.create_sheet("Images")
        for row in [["Offence", "2019/20"], ["IIOC - making", 5], ["IIOC - possession", 6], ["Total", 11]]:
            images.append(row)
        wb.save(folder / "reply.xlsx")

    _, facts = facts_of(tmp_path / "a", per_group)
    counted = facts.offences[facts.offences.in_totals]
    assert int(counted.offences.sum()) == 18  # the two sheets are parts of one answer

    def offences_and_groups(folder):
        wb = openpyxl.Workbook()
        detail = wb.active
        detail.title = "By offence"
        for row in [["Offence", "2019/20"], ["Rape of a child under 13", 3], ["Rape", 4], ["Total", 7]]:
            detail.append(row)
        groups = wb.create_sheet("By group")
        for row in [["Offence", "2019/20"], ["Rape offences", 7], ["Total", 7]]:
            groups.append(row)
        wb.save(folder / "reply.xlsx")

    _, facts = facts_of(tmp_path / "b", offences_and_groups)
    counted = facts.offences[facts.offences.in_totals]
    assert int(counted.offences.sum()) == 7  # the same offences twice: counted once, never 14


def test_records_with_an_online_flag_column_keep_only_flagged_records(tmp_path):
    path = tmp_path / "records.csv"
    path.write_text("Crime Ref,Date Recorded,Offence,Victim Age,Online Crime Flag\n"
                    "A1,01/04/2019,Rape U13 (F),12,Y\n"
                    "A2,02/05/2019,IIOC - possession,14,N\n"
                    "A3,03/06/2019,Sex comms w/ child,13,Yes\n"
                    "A4,04/07/2019,Sex comms w/ child,15,\n", encoding="utf-8")
    result = read_path(path)
    assert result.problems == []
    assert sorted(o.offence for o in result.observations) == ["Rape U13 (F)", "Sex comms w/ child"]
    assert any("2 records without the online flag left out" in n for n in result.notes)
    # a flag that says neither yes nor no is not guessed
    path.write_text("Crime Ref,Date Recorded,Offence,Victim Age,Online Crime Flag\n"
                    "A1,01/04/2019,Rape U13 (F),12,Maybe\n", encoding="utf-8")
    assert any("does not say whether the online flag applies" in p.message for p in read_path(path).problems)


def test_a_long_table_with_a_flag_column_and_dates_for_years(tmp_path):
    path = write_xlsx(tmp_path / "reply.xlsx", [
        ["Date recorded", "Offence", "Online flag", "Number of crimes"],
        ["15/03/2020", "Sex comms w/ child", "Y", 4], ["15/03/2020", "Sex comms w/ child", "N", 9],
        ["02/04/2020", "IIOC - possession", "Y", 3],
    ])
    result = read_path(path)
    assert result.problems == []
    assert by_label(result) == {("2019/20", "Sex comms w/ child"): 4, ("2020/21", "IIOC - possession"): 3}


def test_a_sheet_per_year_named_with_two_digit_years(tmp_path):
    wb = openpyxl.Workbook()
    first = wb.active
    first.title = "19-20"
    for row in [["Offence", "Number of crimes"], ["Sex comms w/ child", 5], ["Total", 5]]:
        first.append(row)
    second = wb.create_sheet("20_21")
    for row in [["Offence", "Number of crimes"], ["Sex comms w/ child", 7], ["Total", 7]]:
        second.append(row)
    wb.save(tmp_path / "reply.xlsx")
    result = read_path(tmp_path / "reply.xlsx")
    assert result.problems == []
    assert by_label(result) == {("2019/20", "Sex comms w/ child"): 5, ("2020/21", "Sex comms w/ child"): 7}


GROUP_ROWS = [["Rape", 10, 12], ["Rape of a female aged 16 and over", 4, 5], ["Rape of a female child under 16", 6, 7],
              ["Sexual grooming", 5, 6]]


@pytest.mark.parametrize("rows, expected", [
    # one year, no stated total: 'Rape' may be s.1 rape or the two rows' subtotal
    ([["Offence", "2021/22"], *[r[:2] for r in GROUP_ROWS]], None),
    # a Grand Total that adds up only if 'Rape' is the subtotal decides it
    ([["Offence", "2021/22"], *[r[:2] for r in GROUP_ROWS], ["Grand Total", 15]], {"2021/22": 15}),
    # ... and one that adds up only if it is an offence of its own
    ([["Offence", "2021/22"], *[r[:2] for r in GROUP_ROWS], ["Grand Total", 25]], {"2021/22": 25}),
    # equal in two years' columns: a subtotal (a coincidence twice over is not credible)
    ([["Offence", "2021/22", "2022/23"], *GROUP_ROWS], {"2021/22": 15, "2022/23": 18}),
    # its rows indented under it: a subtotal, whatever the size of its figures
    ([["Offence", "2021/22"], ["Rape", 3], ["  Rape of a female aged 16 and over", 1],
      ["  Rape of a female child under 16", 2], ["Sexual grooming", 5]], {"2021/22": 8}),
    # several headings over their groups, and a Grand Total of the headings: all subtotals
    ([["Offence", "2021/22"], ["Rape", 10], ["Rape of a female aged 16 and over", 4],
      ["Rape of a female child under 16", 6], ["Sexual assault", 7], ["Sexual assault on a female child under 13", 3],
      ["Sexual assault on a female aged 13 and over", 4], ["Grand Total", 17]], {"2021/22": 17}),
    # figures that differ from its rows': SOA 2003 s.1 rape, an offence of its own
    ([["Offence", "2021/22"], ["Rape", 3], ["Rape of a female aged 16 and over", 4], ["Sexual grooming", 5]],
     {"2021/22": 12}),
])
def test_a_heading_row_that_may_be_its_groups_subtotal(tmp_path, rows, expected):
    result = read_path(write_xlsx(tmp_path / "reply.xlsx", rows))
    if expected is None:
        assert any("cannot tell whether it is an offence of its own or their subtotal" in p.message
                   for p in result.problems)
        return
    assert result.problems == []
    totals = {}
    for o in result.observations:
        totals[o.financial_year] = totals.get(o.financial_year, 0) + o.count.value
    assert totals == expected


def test_a_total_column_before_the_years_is_no_row_label(tmp_path):
    result = read_path(write_xlsx(tmp_path / "reply.xlsx", [
        ["Offence", "Total", "2020/21", "2021/22"], ["Sexual grooming", 40, 25, 15], ["Exposure", 9, 5, 4],
    ]))
    assert result.problems == []
    assert by_label(result) == {("2020/21", "Sexual grooming"): 25, ("2021/22", "Sexual grooming"): 15,
                                ("2020/21", "Exposure"): 5, ("2021/22", "Exposure"): 4}
    # a number with no heading between the offence and the figures is never read as an age
    result = read_path(write_xlsx(tmp_path / "reply2.xlsx", [
        ["Offence", None, "2020/21"], ["Sexual grooming", 40, 25], ["Exposure", 9, 5],
    ]))
    assert result.observations == [] or not any(o.age_min == 9 for o in result.observations)
    assert any("stands between the offence and the figures" in p.message for p in result.problems)


def test_a_record_list_with_no_number_in_it_is_still_read(tmp_path):
    path = tmp_path / "records.csv"
    path.write_text("Crime Number,Date Recorded,Offence,Victim Age\n"
                    "A1,05/11/2020,Sex comms w/ child,14 yrs\n"
                    "A2,06/11/2020,IIOC - possession,Not known\n", encoding="utf-8")
    result = read_path(path)
    assert result.problems == []
    assert sorted(o.offence for o in result.observations) == ["IIOC - possession", "Sex comms w/ child"]


@pytest.mark.parametrize("rows, merges", [
    ([["Financial year 2021/22"], [], ["Offence", "Online flag: Yes", "Online flag: No", "Total"],
      ["Sex comms w/ child", 5, 2, 7], ["IIOC - making", 3, 9, 12]], ()),
    ([["Offence", "2021/22", None, None], [None, "Online", "Not online", "Total"],
      ["Sex comms w/ child", 5, 2, 7], ["IIOC - making", 3, 9, 12]], ("B1:D1",)),
])
def test_online_beside_not_online_and_their_total_reads_the_online_column(tmp_path, rows, merges):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for row in rows:
        ws.append(row)
    for m in merges:
        ws.merge_cells(m)
    wb.save(tmp_path / "reply.xlsx")
    result = read_path(tmp_path / "reply.xlsx")
    assert result.problems == []
    assert by_label(result) == {("2021/22", "Sex comms w/ child"): 5, ("2021/22", "IIOC - making"): 3}


def test_a_change_column_is_left_out(tmp_path):
    result = read_path(write_xlsx(tmp_path / "reply.xlsx", [
        ["Offence", "2020/21", "2021/22", "Change"], ["Sex comms w/ child", 5, 7, 2], ["IIOC - making", 3, 2, -1]]))
    assert result.problems == [] and sum(o.count.value for o in result.observations) == 17


@pytest.mark.parametrize("text", ["2020/21¹", "2020/21 (2)", "2020/21 [note 3]", "2020-21 (a)"])
def test_a_year_heading_with_a_footnote_mark(text):
    from flows import labels

    assert labels.financial_year(text) == "2020/21"


def test_a_one_class_title_over_a_row_of_equal_figure_is_an_offence_not_a_heading(tmp_path):
    # SOA 2003 s.9 'Sexual activity with a child' (22B) is also the name of a group; over a
    # row of the same figure it is still an offence of its own (the sample round has one)
    result = read_path(write_xlsx(tmp_path / "reply.xlsx", [
        ["Offence", "2016/17"], ["Sexual activity with a child", 4],
        ["Sexual activity involving a child under 13", 4], ["Sexual grooming", 9]]))
    assert result.problems == [] and sum(o.count.value for o in result.observations) == 17


def test_a_calendar_year_sheet_beside_a_financial_year_sheet_is_only_a_note(tmp_path):
    wb = openpyxl.Workbook()
    cal = wb.active
    cal.title = "Calendar years"
    for row in [["Offence", "Jan-Dec 2020", "Jan-Dec 2021"], ["Sex comms w/ child", 8, 9]]:
        cal.append(row)
    fy = wb.create_sheet("Financial years")
    for row in [["Offence", "2020/21", "2021/22"], ["Sex comms w/ child", 7, 10]]:
        fy.append(row)
    wb.save(tmp_path / "reply.xlsx")
    result = read_path(tmp_path / "reply.xlsx")
    assert result.problems == []
    assert by_label(result) == {("2020/21", "Sex comms w/ child"): 7, ("2021/22", "Sex comms w/ child"): 10}
    assert any("calendar years" in n for n in result.notes)
    # calendar years alone: still kept out, and said so
    path = write_xlsx(tmp_path / "cal.xlsx", [["Offence", "Jan-Dec 2020"], ["Sex comms w/ child", 8]])
    result = read_path(path)
    assert result.observations == [] and any("calendar years" in p.message for p in result.problems)


def test_a_nil_return_letter_gives_zero_but_never_cancels_a_table(tmp_path):
    def letter_only(folder):
        (folder / "response.txt").write_text(
            "Dear requester,\nYou asked for online-flagged child sexual offences in 2020/21 and 2021/22.\n"
            "I can confirm that no offences meeting the criteria were recorded in either year.\n", encoding="utf-8")

    readings, facts = facts_of(tmp_path / "a", letter_only)
    assert [r.status for r in readings] == ["loaded"]
    got = facts.offences.groupby("financial_year")["offences"].sum().to_dict()
    assert {y: int(n) for y, n in got.items()} == {"2020/21": 0, "2021/22": 0}

    def letter_and_table(folder):
        (folder / "covering note.txt").write_text(
            "No offences were recorded in 2020/21 where the victim's age was not known.\n", encoding="utf-8")
        write_xlsx(folder / "data.xlsx", [["Offence", "2020/21"], ["Sex comms w/ child", 6]])

    _, facts = facts_of(tmp_path / "b", letter_and_table)
    counted = facts.offences[facts.offences.in_totals]
    assert int(counted.offences.sum()) == 6


def test_ages_0_to_17_across_under_no_age_heading(tmp_path):
    ages = list(range(18))
    path = write_xlsx(tmp_path / "reply.xlsx", [
        ["Online flagged child sexual offences 2020/21"],
        ["Offence", *ages, "Total"],
        ["Sex comms w/ child", *[1 if a in (12, 13, 14) else 0 for a in ages], 3],
        ["Total", *[1 if a in (12, 13, 14) else 0 for a in ages], 3],
    ])
    result = read_path(path)
    assert result.problems == []
    assert sorted(o.age_min for o in result.observations if o.count.value) == [12, 13, 14]


def test_a_table_of_years_and_counts_alone_and_a_nil_figure(tmp_path):
    result = read_path(write_xlsx(tmp_path / "reply.xlsx", [
        ["Financial Year", "Number of offences"], ["2020/21", "Nil"], ["2021/22", 12]]))
    assert result.problems == []
    assert by_label(result) == {("2020/21", None): 0, ("2021/22", None): 12}


def test_a_pivot_with_a_blank_year_column_and_a_blank_offence_row(tmp_path):
    result = read_path(write_xlsx(tmp_path / "reply.xlsx", [
        ["Count of Crime Ref", "Column Labels"],
        ["Row Labels", "2020/21", "2021/22", "(blank)", "Grand Total"],
        ["Sex comms w/ child", 10, 9, None, 19], ["IIOC - making", 12, 14, None, 26],
        ["(blank)", 7, 11, None, 18], ["Grand Total", 29, 34, None, 63],
    ]))
    assert result.problems == []
    assert sum(o.count.value for o in result.observations) == 63
    assert {o.offence for o in result.observations if o.unclassified} == {"(blank)"}


def test_a_nil_letter_in_long_sentences():
    from flows.layouts.context import nil_years

    lines = ["Following a search of our crime recording system, no offences meeting your criteria (sexual "
             "offences against a victim under 18 with an online flag) were recorded in the financial years "
             "2020/21 or 2021/22.", "The answer to your request is therefore nil."]
    assert nil_years(lines) == (["2020/21", "2021/22"], 0)


def test_sexes_with_an_unknown_and_a_victims_row_under_the_total(tmp_path):
    result = read_path(write_xlsx(tmp_path / "reply.xlsx", [
        ["Financial year 2021/22"], [],
        ["Offence", "Female", "Male", "Unknown", "Total"],
        ["Sex comms w/ child", 5, 2, 1, 8], ["IIOC - making", 3, 1, 0, 4], ["Total", 8, 3, 1, 12],
        ["Number of victims", 7, 3, 1, 11],
    ]))
    assert result.problems == []
    assert sum(o.count.value for o in result.observations) == 12
    assert any("counts victims or people, not offences" in n for n in result.notes)


def test_long_tables_one_under_another_each_under_its_year(tmp_path):
    result = read_path(write_xlsx(tmp_path / "reply.xlsx", [
        ["April 2020 to March 2021"], ["Offence", "Number of crimes"], ["Sex comms w/ child", 4],
        ["IIOC - making", 2], ["Total", 6], [],
        ["April 2021 to March 2022"], ["Offence", "Number of crimes"], ["Sex comms w/ child", 5], ["Total", 5],
    ]))
    assert result.problems == []
    assert by_label(result) == {("2020/21", "Sex comms w/ child"): 4, ("2020/21", "IIOC - making"): 2,
                                ("2021/22", "Sex comms w/ child"): 5}


def test_ages_as_text_after_a_total_column(tmp_path):
    result = read_path(write_xlsx(tmp_path / "reply.xlsx", [
        ["Financial year 2021/22"],
        ["Offence", "Total", "12", "13", "14", "15", "16"],
        ["Sex comms w/ child", 6, 1, 2, 3, 0, 0], ["IIOC - making", 2, 0, 0, 1, 1, 0],
    ]))
    assert result.problems == []
    assert sorted((o.age_min, o.count.value) for o in result.observations if o.count.value) == \
        [(12, 1), (13, 2), (14, 1), (14, 3), (15, 1)]


def test_crimes_beside_victims_under_each_year_reads_the_crimes(tmp_path):
    result = read_path(write_xlsx(tmp_path / "reply.xlsx", [
        ["Offence", "2020/21", None, "2021/22", None], [None, "Crimes", "Victims", "Crimes", "Victims"],
        ["Rape U13 (F)", 1, 1, 2, 2], ["Sex comms w/ child", 4, 3, 2, 2]], merges=("B1:C1", "D1:E1")))
    assert result.problems == []
    assert by_label(result) == {("2020/21", "Rape U13 (F)"): 1, ("2020/21", "Sex comms w/ child"): 4,
                                ("2021/22", "Rape U13 (F)"): 2, ("2021/22", "Sex comms w/ child"): 2}


def test_all_offences_then_of_which_online_as_rows(tmp_path):
    result = read_path(write_xlsx(tmp_path / "reply.xlsx", [
        [None, "2020/21", "2021/22"], ["All sexual offences (victim under 18)", 297, 358],
        ["of which flagged as online", 39, 21]]))
    assert result.problems == []
    assert by_label(result) == {("2020/21", None): 39, ("2021/22", None): 21}


def test_dates_month_first_where_the_heading_says_so(tmp_path):
    path = tmp_path / "records.csv"
    path.write_text("Crime No,Offence,Date Recorded (MM/DD/YYYY),Victim Age\n"
                    "A1,Sex comms w/ child,04/01/2019,14\nA2,Sex comms w/ child,03/05/2019,13\n", encoding="utf-8")
    result = read_path(path)
    assert result.problems == []
    assert sorted(o.financial_year for o in result.observations) == ["2018/19", "2019/20"]  # 5 March, 1 April


@pytest.mark.parametrize("rows, known, problem", [
    ([["Age of victim", "2019/20"], [13, 1], [14, 1], [15, 1], [16, 1], [17, 1], ["Aged 13 to 17", 5]], 5, None),
    ([["Age", "2019/20"], ["0-12", 5], ["13-15", 7], ["16-17", 4], ["Under 18", 16]], 16, None),
    ([["Age", "2019/20"], [11, 2], [12, 3], ["Under 13", 5], [13, 1], [14, 2], ["Aged 13 to 17", 3], ["Total", 8]],
     8, None),
    ([["Age", "2019/20"], ["0-12", 5], ["10-15", 7]], None, "overlap without one containing the other"),
    ([["Age", "2019/20"], [13, 1], [14, 1], ["13-15", 5]], None, "its figure is not their sum"),
])
def test_age_rows_that_overlap_are_never_added_twice(tmp_path, rows, known, problem):
    result = read_path(write_xlsx(tmp_path / "reply.xlsx", rows))
    if problem:
        assert any(problem in p.message for p in result.problems)
        return
    assert result.problems == [] and sum(o.count.value for o in result.observations) == known


def test_a_total_excluding_something_is_noted_not_checked(tmp_path):
    result = read_path(write_xlsx(tmp_path / "reply.xlsx", [
        ["Offence", "2021/22"], ["Sex comms w/ child", 10], ["IIOC - making", 6], ["Rape U13 (F)", 2],
        ["Total excluding indecent images", 12], ["Total", 18]]))
    assert result.problems == []
    assert sum(o.count.value for o in result.observations) == 18
    assert any("leaves something out" in n for n in result.notes)


@pytest.mark.parametrize("text, year", [("21/22", "2021/22"), ("19/20", "2019/20"), ("16/17", None),
                                        ("2019/20 (provisional)", "2019/20"), ("2020/21 revised", "2020/21")])
def test_short_and_annotated_year_headings(text, year):
    from flows import labels

    assert labels.financial_year(text) == year


def test_numbers_with_space_thousands_an_adult_column_and_a_change_row(tmp_path):
    from flows import labels

    assert labels.count("1 342").value == 1342 and not isinstance(labels.count("1 34"), labels.Count)
    assert labels.age("18 and over (for context)").kind == labels.ADULT
    result = read_path(write_xlsx(tmp_path / "reply.xlsx", [
        ["Year", "Sex comms w/ child", "IIOC - making"], ["2019/20", "1 342", 5], ["2020/21", 20, 6],
        ["% change", "-98%", "20%"]]))
    assert result.problems == []
    assert by_label(result)[("2019/20", "Sex comms w/ child")] == 1342


def test_an_of_which_row_and_a_year_to_date_column_are_not_added(tmp_path):
    result = read_path(write_xlsx(tmp_path / "reply.xlsx", [
        ["Offence", "2023/24", "2024/25 Year to date (Apr-Sep 2024)"],
        ["Sexual grooming", 12, 5], ["   of which: sexual communication with a child (s.15A)", 9, 4],
        ["IIOC - making", 6, 2], ["Total", 18, 7]]))
    assert result.problems == []
    assert by_label(result) == {("2023/24", "Sexual grooming"): 12, ("2023/24", "IIOC - making"): 6}
    assert any("part of the row above" in n for n in result.notes)


def test_a_calendar_year_column_beside_financial_year_columns_is_left_out(tmp_path):
    result = read_path(write_xlsx(tmp_path / "reply.xlsx", [
        ["Offence", "Calendar year 2021", "Financial year 2021/22"], ["Sex comms w/ child", 9, 7],
        ["IIOC - making", 4, 5]]))
    assert result.problems == []
    assert by_label(result) == {("2021/22", "Sex comms w/ child"): 7, ("2021/22", "IIOC - making"): 5}
    assert any("calendar year, not a financial year" in n for n in result.notes)
