-- Offences by offence group; counts from tables with no offence breakdown are under
-- 'not given', so the groups add up to the headline.
CREATE OR REPLACE TABLE offence_group_totals AS
SELECT
    financial_year,
    coalesce(offence_group, 'not given')   AS offence_group,
    coalesce(sum(offences), 0)::BIGINT     AS offences
FROM current_offences
WHERE in_totals
GROUP BY ALL
ORDER BY financial_year, offence_group;
