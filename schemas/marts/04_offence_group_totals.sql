-- offence_group_totals. What it and its columns mean: schemas/warehouse_docs.yaml.
-- Counts from tables with no offence breakdown go under 'not given', so the groups add
-- up to the headline.
CREATE OR REPLACE TABLE offence_group_totals AS
SELECT
    financial_year,
    coalesce(offence_group, 'not given')   AS offence_group,
    coalesce(sum(offences), 0)::BIGINT     AS offences
FROM current_offences
WHERE in_totals
GROUP BY ALL
ORDER BY financial_year, offence_group;
