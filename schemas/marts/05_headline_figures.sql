-- headline_figures. What it and its columns mean: schemas/warehouse_docs.yaml.
-- Computed per scope (01_current_offences.sql); the table is today's scope, and
-- published_figures (08) keeps each round's.
CREATE OR REPLACE TEMP TABLE scoped_headline_figures AS
WITH years AS (
    SELECT
        scope,
        financial_year,
        count(*)::BIGINT          AS forces_with_data,
        sum(offences)::BIGINT     AS offences,
        sum(offences_upper)::BIGINT AS offences_upper,
        CAST(left(financial_year, 4) AS INTEGER) AS start_year
    FROM scoped_force_year_totals
    GROUP BY scope, financial_year
),
matched AS (
    SELECT
        cur.scope,
        cur.financial_year,
        count(*)::BIGINT           AS matched_forces,
        sum(cur.offences)::BIGINT  AS offences_now,
        sum(prev.offences)::BIGINT AS offences_before
    FROM scoped_force_year_totals cur
    JOIN scoped_force_year_totals prev
      ON prev.scope IS NOT DISTINCT FROM cur.scope
     AND prev.force_code = cur.force_code
     AND CAST(left(prev.financial_year, 4) AS INTEGER) = CAST(left(cur.financial_year, 4) AS INTEGER) - 1
    GROUP BY cur.scope, cur.financial_year
),
modal AS (
    SELECT
        scope,
        financial_year,
        CASE WHEN offences > 0 THEN victim_age END AS modal_age,
        offences                                   AS modal_age_offences,
        offences > coalesce(max(offences_upper) OVER (
            PARTITION BY scope, financial_year ORDER BY offences DESC NULLS LAST, victim_age
            ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), -1) AS modal_age_certain
    FROM scoped_age_distribution
    QUALIFY row_number() OVER (
        PARTITION BY scope, financial_year ORDER BY offences DESC NULLS LAST, victim_age) = 1
),
young AS (
    SELECT
        scope,
        financial_year,
        coalesce(sum(offences) FILTER (WHERE victim_age_max <= 10), 0)::BIGINT AS aged_10_and_under,
        coalesce(sum(offences_upper) FILTER (WHERE victim_age_max <= 10), 0)::BIGINT
                                                                  AS aged_10_and_under_upper,
        min(victim_age_min) FILTER (
            WHERE victim_age_min = victim_age_max AND (offences > 0 OR suppressed)
        ) AS youngest_age,
        count(*) FILTER (WHERE victim_age_min IS NOT NULL) AS aged_rows
    FROM scoped_offences
    WHERE in_age_figures
    GROUP BY scope, financial_year
)
SELECT
    y.scope,
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
    CASE WHEN yg.aged_rows > 0 THEN yg.aged_10_and_under_upper END    AS aged_10_and_under_upper
FROM years y
LEFT JOIN years p   ON p.scope IS NOT DISTINCT FROM y.scope AND p.start_year = y.start_year - 1
LEFT JOIN matched m ON m.scope IS NOT DISTINCT FROM y.scope AND m.financial_year = y.financial_year
LEFT JOIN modal md  ON md.scope IS NOT DISTINCT FROM y.scope AND md.financial_year = y.financial_year
LEFT JOIN young yg  ON yg.scope IS NOT DISTINCT FROM y.scope AND yg.financial_year = y.financial_year;

CREATE OR REPLACE TABLE headline_figures AS
SELECT * EXCLUDE (scope)
FROM scoped_headline_figures
WHERE scope IS NULL
ORDER BY financial_year;
