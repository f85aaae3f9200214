-- published_figures. What it and its columns mean: schemas/warehouse_docs.yaml.
-- A round's own figures are the scope = <round> rows of the same rules that make
-- today's figures (02_force_year_totals, 03_age_distribution, 05_headline_figures),
-- beside today's (headline_figures).
CREATE OR REPLACE TABLE published_figures AS
WITH newest AS (  -- the round today's figure for each force-year comes from (01_current_offences)
    SELECT financial_year, max(round) AS newest_round
    FROM current_offences
    GROUP BY financial_year
)
SELECT
    s.scope                                                          AS round,
    s.* EXCLUDE (scope),
    h.forces_with_data                                               AS current_forces_with_data,
    h.offences                                                       AS current_offences,
    h.offences_upper                                                 AS current_offences_upper,
    h.pct_change                                                     AS current_pct_change,
    h.offences - s.offences                                          AS restated_by,
    n.newest_round
FROM scoped_headline_figures s
LEFT JOIN headline_figures h ON h.financial_year = s.financial_year
LEFT JOIN newest n           ON n.financial_year = s.financial_year
WHERE s.scope IS NOT NULL
ORDER BY s.financial_year, s.scope;
