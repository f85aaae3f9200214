-- force_year_totals. What it and its columns mean: schemas/warehouse_docs.yaml.
-- Computed per scope (01_current_offences.sql); the table is today's scope.
CREATE OR REPLACE TEMP TABLE scoped_force_year_totals AS
SELECT
    o.scope,
    o.force_code,
    f.force_name,
    o.financial_year,
    coalesce(sum(o.offences), 0)::BIGINT                                   AS offences,
    (coalesce(sum(o.offences), 0)
        + coalesce(sum(o.offences_upper) FILTER (WHERE o.suppressed), 0))::BIGINT AS offences_upper,
    count(*) FILTER (WHERE o.suppressed)::BIGINT                           AS suppressed_cells
FROM scoped_offences o
LEFT JOIN forces f USING (force_code)  -- never drop a figure for want of a name
WHERE o.in_totals
GROUP BY ALL;

CREATE OR REPLACE TABLE force_year_totals AS
SELECT * EXCLUDE (scope)
FROM scoped_force_year_totals
WHERE scope IS NULL
ORDER BY financial_year, force_code;
