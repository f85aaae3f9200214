-- A row per force and financial year with data. offences: the sum of the known counts;
-- offences_upper: plus the largest value each suppressed cell can hold.
-- A nil return (counts of 0) is a row with 0.
CREATE OR REPLACE TABLE force_year_totals AS
SELECT
    o.force_code,
    f.force_name,
    o.financial_year,
    coalesce(sum(o.offences), 0)::BIGINT                                   AS offences,
    (coalesce(sum(o.offences), 0)
        + coalesce(sum(o.offences_upper) FILTER (WHERE o.suppressed), 0))::BIGINT AS offences_upper,
    count(*) FILTER (WHERE o.suppressed)::BIGINT                           AS suppressed_cells
FROM current_offences o
LEFT JOIN forces f USING (force_code)  -- never drop a figure for want of a name
WHERE o.in_totals
GROUP BY ALL
ORDER BY o.financial_year, o.force_code;
