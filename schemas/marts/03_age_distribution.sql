-- Offences by exact victim age (bands are not exact ages), from the table of each
-- force-year chosen for the age figures. Suppressed cells are counted, not summed.
CREATE OR REPLACE TABLE age_distribution AS
SELECT
    financial_year,
    victim_age_min                               AS victim_age,
    coalesce(sum(offences), 0)::BIGINT           AS offences,
    count(*) FILTER (WHERE suppressed)::BIGINT   AS suppressed_cells
FROM current_offences
WHERE in_age_figures
  AND victim_age_min IS NOT NULL
  AND victim_age_min = victim_age_max
GROUP BY ALL
ORDER BY financial_year, victim_age;
