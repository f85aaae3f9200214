-- current_offences: for each force and financial year, only the latest round that gave
-- figures for it (round names start with the year the request went out), so a newer
-- round's restated figures replace an older round's; published_figures keeps each round's
-- own (08_published_figures.sql). What the view and its columns mean:
-- schemas/warehouse_docs.yaml.
CREATE OR REPLACE VIEW current_offences AS
WITH latest AS (
    SELECT force_code, financial_year, max(round) AS round
    FROM offences
    GROUP BY force_code, financial_year
)
SELECT o.*
FROM offences o
JOIN latest USING (force_code, financial_year, round);

-- The scopes the headline figures are computed over, so each rule is written once
-- (02, 03, 05) and used both for today's figures and for each round's own:
--   scope NULL:   current_offences (today's figures: the newest round per force-year)
--   scope=<round>: that round's own replies, for the years it asked for (rounds table)
-- A TEMP view: it lives only while the marts are built and is not part of the warehouse.
CREATE OR REPLACE TEMP VIEW scoped_offences AS
SELECT NULL::VARCHAR AS scope, * FROM current_offences
UNION ALL BY NAME
SELECT o.round AS scope, o.*
FROM offences o
JOIN rounds r ON r.round = o.round AND list_contains(r.years_requested, o.financial_year);
