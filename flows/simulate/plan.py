"""Who answers the sample request, how, and in which layout.

The plan is fixed, not drawn at random, so that the sample round always holds every
layout the reader must survive; the seed only moves the numbers inside the files.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Replies other than data.
S12, S40, NO_REPLY = "refused_s12", "refused_s40", "no_reply"

# Layouts (writers.py has one function each).
LONG_AGES_CSV = "long_ages_csv"          # year, offence, age, count
LONG_CSV = "long_csv"                    # year, offence, count
LONG_ODS = "long_ods"
RECORDS_XLSX = "records_xlsx"            # a row per offence, preamble, real dates
RECORDS_CSV = "records_csv"              # cp1252, ';', text dates
OFFENCE_YEAR_XLSX = "offence_year_xlsx"  # merged title, Total row and column, footnotes
OFFENCE_YEAR_TEXT_XLSX = "offence_year_text_xlsx"  # numbers stored as text, starts at B4
OFFENCE_YEAR_XLS = "offence_year_xls"
SUBTOTALS_XLSX = "subtotals_xlsx"        # offence groups with sub-total rows
AGE_YEAR_XLSX = "age_year_xlsx"          # ages down, years across, '*' for 1 to 4
SHEET_PER_YEAR_BANDS_XLSX = "sheet_per_year_bands_xlsx"  # offence x age band, a sheet a year

RECORD_LAYOUTS = (RECORDS_XLSX, RECORDS_CSV)
EXACT_AGE_LAYOUTS = (LONG_AGES_CSV, RECORDS_XLSX, RECORDS_CSV, AGE_YEAR_XLSX)
BAND_LAYOUTS = (SHEET_PER_YEAR_BANDS_XLSX,)
# Layouts that give every figure by offence (one Home Office code or sub-code a figure):
# all but the age x year crosstab, which has no offence breakdown at all.
OFFENCE_LAYOUTS = (
    LONG_AGES_CSV, LONG_CSV, LONG_ODS, RECORDS_XLSX, RECORDS_CSV, OFFENCE_YEAR_XLSX,
    OFFENCE_YEAR_TEXT_XLSX, OFFENCE_YEAR_XLS, SUBTOTALS_XLSX, SHEET_PER_YEAR_BANDS_XLSX,
)

# The force whose age table absorbs the calibration of the age figures.
AGE_ADJUSTER = "E23000005"  # Greater Manchester, a long table with exact ages
THAMES_VALLEY = "E23000029"
ONLY_2016_17 = "E23000021"  # Leicestershire: "2015/16 is held on a legacy system"

PLAN: dict[str, tuple[str, str]] = {
    # code: (layout or reply kind, folder name as the force's staff typed it)
    "E23000001": (OFFENCE_YEAR_XLSX, "Met"),
    "E23000002": (RECORDS_CSV, "cumbria"),
    "E23000003": (LONG_AGES_CSV, "Lancashire Constabulary"),
    "E23000004": (OFFENCE_YEAR_XLS, "Merseyside Police"),
    "E23000005": (LONG_AGES_CSV, "GMP"),
    "E23000006": (RECORDS_XLSX, "Cheshire"),
    "E23000007": (OFFENCE_YEAR_XLSX, "northumbria-police"),
    "E23000008": (LONG_CSV, "Durham Constabulary"),
    "E23000009": (S12, "North Yorkshire Police"),
    "E23000010": (AGE_YEAR_XLSX, "West Yorkshire Police"),
    "E23000011": (OFFENCE_YEAR_TEXT_XLSX, "south_yorkshire"),
    "E23000012": (LONG_ODS, "Humberside"),
    "E23000013": (OFFENCE_YEAR_XLSX, "CLEVELAND POLICE"),
    "E23000014": (SUBTOTALS_XLSX, "WMP"),
    "E23000015": (OFFENCE_YEAR_XLSX, "Staffs"),
    "E23000016": (OFFENCE_YEAR_XLSX, "West Mercia"),
    "E23000017": (LONG_CSV, "warwickshire"),
    "E23000018": (OFFENCE_YEAR_XLS, "Derbyshire Constabulary"),
    "E23000019": (AGE_YEAR_XLSX, "Notts"),
    "E23000020": (OFFENCE_YEAR_XLSX, "Lincolnshire Police"),
    "E23000021": (LONG_CSV, "Leicestershire"),
    "E23000022": (OFFENCE_YEAR_TEXT_XLSX, "Northants"),
    "E23000023": (NO_REPLY, "Cambridgeshire"),
    "E23000024": (SHEET_PER_YEAR_BANDS_XLSX, "Norfolk Constabulary"),
    "E23000025": (SHEET_PER_YEAR_BANDS_XLSX, "suffolk"),
    "E23000026": (OFFENCE_YEAR_XLSX, "Beds"),
    "E23000027": (OFFENCE_YEAR_XLSX, "Herts"),
    "E23000028": (LONG_ODS, "Essex Police"),
    "E23000029": (OFFENCE_YEAR_XLSX, "TVP"),
    "E23000030": (SUBTOTALS_XLSX, "Hampshire Constabulary"),
    "E23000031": (RECORDS_XLSX, "Surrey Police"),
    "E23000032": (RECORDS_XLSX, "kent_police"),
    "E23000033": (OFFENCE_YEAR_XLSX, "Sussex"),
    "E23000034": (LONG_CSV, "City of London Police"),
    "E23000035": (OFFENCE_YEAR_XLSX, "Devon & Cornwall Constabulary"),
    "E23000036": (OFFENCE_YEAR_TEXT_XLSX, "avon-and-somerset"),
    "E23000037": (S40, "Gloucestershire Constabulary"),
    "E23000038": (LONG_CSV, "Wiltshire Police"),
    "E23000039": (AGE_YEAR_XLSX, "Dorset"),
    "W15000001": (OFFENCE_YEAR_XLSX, "north_wales"),
    "W15000002": (AGE_YEAR_XLSX, "Gwent Police"),
    "W15000003": (LONG_CSV, "South Wales Police"),
    "W15000004": (OFFENCE_YEAR_XLSX, "Dyfed-Powys"),
}

# Forces that suppress small counts (1 to 4), and how they write it.
SUPPRESSION = {
    "E23000010": "*", "E23000019": "*", "E23000039": "*", "W15000002": "*",
    "E23000007": "*", "E23000013": "<5", "W15000004": "[c]", "E23000026": "*",
}

# How forces name offences: 'code', 'description', 'both' or 'alias'.
OFFENCE_NAMING = ("both", "description", "code", "alias")


@dataclass(frozen=True)
class ForcePlan:
    code: str
    kind: str  # a layout, or S12 / S40 / NO_REPLY
    folder: str
    population: int
    suppression: str | None
    naming: str

    @property
    def gives_data(self) -> bool:
        return self.kind not in (S12, S40, NO_REPLY)


def load_plan(record_level_share: float | None = None) -> list[ForcePlan]:
    with open(HERE / "force_sizes.csv", newline="") as fh:
        sizes = {r["force_code"]: int(r["population_thousands"]) for r in csv.DictReader(fh)}
    plans = []
    for i, (code, (kind, folder)) in enumerate(sorted(PLAN.items())):
        plans.append(ForcePlan(
            code=code, kind=kind, folder=folder, population=sizes[code],
            suppression=SUPPRESSION.get(code), naming=OFFENCE_NAMING[i % len(OFFENCE_NAMING)],
        ))
    if record_level_share:
        data = [p for p in plans if p.gives_data]
        wanted = round(len(data) * record_level_share)
        switched = {p.code for p in data[:wanted]}
        plans = [
            ForcePlan(p.code, RECORD_LAYOUTS[j % 2] if p.code in switched else p.kind, p.folder,
                      p.population, None if p.code in switched else p.suppression, p.naming)
            for j, p in enumerate(plans)
        ]
    return plans
