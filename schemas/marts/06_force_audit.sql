-- force_audit. What it and its columns mean: schemas/warehouse_docs.yaml.
CREATE OR REPLACE TABLE force_audit AS
WITH files AS (
    SELECT
        round, force_code,
        count(*)                                              AS files_received,
        count(*) FILTER (WHERE status = 'loaded')             AS files_loaded,
        count(*) FILTER (WHERE status = 'not_machine_readable') AS letters,
        count(*) FILTER (WHERE status NOT IN ('loaded', 'not_machine_readable', 'duplicate'))
                                                              AS files_in_doubt,
        string_agg(path || ' [' || status || ']', '; ' ORDER BY path) AS file_list,
        string_agg(message, '; ' ORDER BY path) FILTER (WHERE message IS NOT NULL) AS messages
    FROM returns
    WHERE force_code IS NOT NULL
    GROUP BY ALL
),
figures AS (
    SELECT
        round, force_code,
        string_agg(financial_year || ': ' || known
                   || CASE WHEN suppressed_cells > 0
                           THEN ' (+' || suppressed_cells || ' suppressed)' ELSE '' END,
                   '; ' ORDER BY financial_year) AS figures_loaded
    FROM (
        SELECT round, force_code, financial_year,
               coalesce(sum(offences), 0) AS known,
               count(*) FILTER (WHERE suppressed) AS suppressed_cells
        FROM offences
        WHERE in_totals
        GROUP BY ALL
    )
    GROUP BY ALL
)
SELECT
    r.round,
    r.force_code,
    r.force_name,
    r.reply,
    coalesce(f.files_received, 0) AS files_received,
    coalesce(f.files_loaded, 0)   AS files_loaded,
    coalesce(f.letters, 0)        AS letters,
    coalesce(f.files_in_doubt, 0) AS files_in_doubt,
    g.figures_loaded,
    f.file_list,
    coalesce(f.messages, r.message) AS messages
FROM force_replies r
LEFT JOIN files f USING (round, force_code)
LEFT JOIN figures g USING (round, force_code)
ORDER BY r.round, r.force_name;
