-- The observations the marts use: for each force and financial year, only the latest
-- round that gave figures for it (round names start with the year the request went out),
-- so a newer round's restated figures replace an older round's; published_figures keeps
-- each round's own (08_published_figures.sql).
CREATE OR REPLACE VIEW current_offences AS
WITH latest AS (
    SELECT force_code, financial_year, max(round) AS round
    FROM offences
    GROUP BY force_code, financial_year
)
SELECT o.*
FROM offences o
JOIN latest USING (force_code, financial_year, round);
