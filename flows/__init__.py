"""FOI replies -> DuckDB warehouse -> headline figures.

Stages, each with one home:
raw files (discover) -> cells (cells/) -> observations (layouts/) -> facts (facts)
-> validated (quality) -> marts (warehouse, schemas/marts/*.sql).
"""
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = PROJECT_ROOT / "schemas"
DEFAULT_RAW = PROJECT_ROOT / "raw"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "warehouse" / "foi.duckdb"
SAMPLE_ROUND = "2017-online-child-sex-offences"
