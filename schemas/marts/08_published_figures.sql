-- Each round's headline figures as that round computed them, beside today's, so a
-- restated figure shows next to the one first published. Columns: docs/warehouse.md.
-- A row per round and financial year it asked for (rounds.years_requested) with data,
-- from that round's own replies only (offences WHERE round = ...), computed as
-- 02_force_year_totals, 03_age_distribution and 05_headline_figures compute the
-- current figures (tests/test_rounds.py checks that one round alone gives the same).
CREATE OR REPLACE TABLE published_figures AS
WITH own AS (
    SELECT o.*
    FROM offences o
    JOIN rounds r ON r.round = o.round AND list_contains(r.years_requested, o.financial_year)
),
totals AS (  -- 02_force_year_totals, per round
    SELECT round, force_code, financial_year,
           coalesce(sum(offences), 0)::BIGINT AS offences,
           (coalesce(sum(offences), 0)
               + coalesce(sum(offences_upper) FILTER (WHERE suppressed), 0))::BIGINT AS offences_upper
    FROM own
    WHERE in_totals
    GROUP BY ALL
),
ages AS (  -- 03_age_distribution, per round
    SELECT round, financial_year, victim_age_min AS victim_age,
           sum(offences)::BIGINT AS offences,
           (coalesce(sum(offences), 0)
               + coalesce(sum(offences_upper) FILTER (WHERE suppressed), 0))::BIGINT AS offences_upper
    FROM own
    WHERE in_age_figures AND victim_age_min IS NOT NULL AND victim_age_min = victim_age_max
    GROUP BY ALL
),
years AS (
    SELECT round, financial_year,
           count(*)::BIGINT            AS forces_with_data,
           sum(offences)::BIGINT       AS offences,
           sum(offences_upper)::BIGINT AS offences_upper,
           CAST(left(financial_year, 4) AS INTEGER) AS start_year
    FROM totals
    GROUP BY round, financial_year
),
matched AS (
    SELECT cur.round, cur.financial_year,
           count(*)::BIGINT           AS matched_forces,
           sum(cur.offences)::BIGINT  AS offences_now,
           sum(prev.offences)::BIGINT AS offences_before
    FROM totals cur
    JOIN totals prev
      ON prev.round = cur.round
     AND prev.force_code = cur.force_code
     AND CAST(left(prev.financial_year, 4) AS INTEGER) = CAST(left(cur.financial_year, 4) AS INTEGER) - 1
    GROUP BY cur.round, cur.financial_year
),
modal AS (
    SELECT round, financial_year,
           CASE WHEN offences > 0 THEN victim_age END AS modal_age,
           offences                                   AS modal_age_offences,
           offences > coalesce(max(offences_upper) OVER (
               PARTITION BY round, financial_year ORDER BY offences DESC NULLS LAST, victim_age
               ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), -1) AS modal_age_certain
    FROM ages
    QUALIFY row_number() OVER (
        PARTITION BY round, financial_year ORDER BY offences DESC NULLS LAST, victim_age) = 1
),
young AS (
    SELECT round, financial_year,
           coalesce(sum(offences) FILTER (WHERE victim_age_max <= 10), 0)::BIGINT AS aged_10_and_under,
           coalesce(sum(offences_upper) FILTER (WHERE victim_age_max <= 10), 0)::BIGINT
                                                                     AS aged_10_and_under_upper,
           min(victim_age_min) FILTER (
               WHERE victim_age_min = victim_age_max AND (offences > 0 OR suppressed)
           ) AS youngest_age,
           count(*) FILTER (WHERE victim_age_min IS NOT NULL) AS aged_rows
    FROM own
    WHERE in_age_figures
    GROUP BY round, financial_year
),
newest AS (  -- the round today's figure for each force-year comes from (01_current_offences)
    SELECT financial_year, max(round) AS newest_round
    FROM current_offences
    GROUP BY financial_year
)
SELECT
    y.round,
    y.financial_year,
    y.forces_with_data,
    y.offences,
    y.offences_upper,
    p.offences                                                       AS previous_year_offences,
    CASE WHEN p.offences > 0
         THEN round(100.0 * (y.offences - p.offences) / p.offences, 2) END AS pct_change,
    m.matched_forces,
    CASE WHEN m.offences_before > 0
         THEN round(100.0 * (m.offences_now - m.offences_before) / m.offences_before, 2) END
                                                                     AS like_for_like_pct_change,
    y.offences / datediff('day', make_date(y.start_year, 4, 1), make_date(y.start_year + 1, 4, 1))
                                                                     AS per_day,
    md.modal_age,
    md.modal_age_offences,
    CASE WHEN yg.aged_rows > 0 THEN yg.aged_10_and_under END          AS aged_10_and_under,
    yg.youngest_age,
    CASE WHEN md.modal_age IS NOT NULL THEN md.modal_age_certain END  AS modal_age_certain,
    CASE WHEN yg.aged_rows > 0 THEN yg.aged_10_and_under_upper END    AS aged_10_and_under_upper,
    h.forces_with_data                                               AS current_forces_with_data,
    h.offences                                                       AS current_offences,
    h.offences_upper                                                 AS current_offences_upper,
    h.pct_change                                                     AS current_pct_change,
    h.offences - y.offences                                          AS restated_by,
    n.newest_round
FROM years y
LEFT JOIN years p   ON p.round = y.round AND p.start_year = y.start_year - 1
LEFT JOIN matched m ON m.round = y.round AND m.financial_year = y.financial_year
LEFT JOIN modal md  ON md.round = y.round AND md.financial_year = y.financial_year
LEFT JOIN young yg  ON yg.round = y.round AND yg.financial_year = y.financial_year
LEFT JOIN headline_figures h ON h.financial_year = y.financial_year
LEFT JOIN newest n  ON n.financial_year = y.financial_year
ORDER BY y.financial_year, y.round;
