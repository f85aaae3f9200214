-- age_distribution. What it and its columns mean: schemas/warehouse_docs.yaml.
-- sum(offences), not coalesce(sum(offences), 0): an age whose every cell is suppressed
-- must show NULL, never 0.
-- Computed per scope (01_current_offences.sql); the table is today's scope.
CREATE OR REPLACE TEMP TABLE scoped_age_distribution AS
SELECT
    scope,
    financial_year,
    victim_age_min                               AS victim_age,
    sum(offences)::BIGINT                        AS offences,
    (coalesce(sum(offences), 0)
        + coalesce(sum(offences_upper) FILTER (WHERE suppressed), 0))::BIGINT AS offences_upper,
    count(*) FILTER (WHERE suppressed)::BIGINT   AS suppressed_cells
FROM scoped_offences
WHERE in_age_figures
  AND victim_age_min IS NOT NULL
  AND victim_age_min = victim_age_max
GROUP BY ALL;

CREATE OR REPLACE TABLE age_distribution AS
SELECT * EXCLUDE (scope)
FROM scoped_age_distribution
WHERE scope IS NULL
ORDER BY financial_year, victim_age;
