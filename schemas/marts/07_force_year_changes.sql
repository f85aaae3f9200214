-- force_year_changes, for the plausibility warning (schemas/expectations/
-- force_year_changes.yaml). What it and its columns mean: schemas/warehouse_docs.yaml.
CREATE OR REPLACE TABLE force_year_changes AS
SELECT
    cur.force_code,
    cur.force_name,
    cur.financial_year,
    cur.offences,
    prev.offences AS previous_offences,
    CASE WHEN prev.offences > 0
         THEN round(100.0 * (cur.offences - prev.offences) / prev.offences, 1) END AS pct_change
FROM force_year_totals cur
JOIN force_year_totals prev
  ON prev.force_code = cur.force_code
 AND CAST(left(prev.financial_year, 4) AS INTEGER) = CAST(left(cur.financial_year, 4) AS INTEGER) - 1
ORDER BY cur.financial_year, cur.force_code;
