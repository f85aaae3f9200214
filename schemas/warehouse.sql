-- The warehouse's tables. Names and meanings are the contract with the analysts
-- (docs/warehouse.md): columns may be added, never renamed. Marts: schemas/marts/*.sql.

CREATE TABLE forces (
    force_code  VARCHAR PRIMARY KEY,   -- ONS police force area code (E23..., W15...)
    force_name  VARCHAR NOT NULL,
    nation      VARCHAR NOT NULL
);

CREATE TABLE offence_codes (
    offence_code        VARCHAR PRIMARY KEY,  -- Home Office offence code
    offence_description VARCHAR NOT NULL,
    offence_group       VARCHAR NOT NULL
);

-- A row per file under each round, whatever became of it.
CREATE TABLE returns (
    round        VARCHAR NOT NULL,
    force_code   VARCHAR,                -- NULL when the folder matched no force
    force_folder VARCHAR NOT NULL,
    path         VARCHAR NOT NULL,       -- relative to the raw folder
    sha256       VARCHAR NOT NULL,
    file_type    VARCHAR NOT NULL,
    size_bytes   BIGINT,
    layout       VARCHAR,                -- which reader layout read it
    status       VARCHAR NOT NULL,       -- loaded, not_machine_readable, quarantined, totals_disagree, excluded_by_review, conflict, duplicate, unmatched_force, no_data
    reason       VARCHAR,                -- why not loaded, for code: unreadable, limit:<name>, budget:<name>, path, layout, personal_data, reader_failed, reader_crashed
    message      VARCHAR,                -- why, whenever it is not loaded; notes when loaded
    personal_data VARCHAR,               -- where the file seemed to hold personal data (sheet and cells, never the values); NULL if nowhere
    rows_loaded  INTEGER NOT NULL
);

-- A row per force and round: did it give data, refuse, or not reply?
CREATE TABLE force_replies (
    round      VARCHAR NOT NULL,
    force_code VARCHAR NOT NULL,
    force_name VARCHAR NOT NULL,
    reply      VARCHAR NOT NULL,  -- data, refused, no_machine_readable_data, quarantined, no_data, no_reply
    message    VARCHAR
);

-- A row per round and force: what the force's reply came to, and whether to chase it
-- (flows/responses.py; `foi chase ROUND` prints the rows with chase true).
CREATE TABLE responses (
    round           VARCHAR NOT NULL,
    force_code      VARCHAR NOT NULL,
    force_name      VARCHAR NOT NULL,
    response        VARCHAR NOT NULL,  -- data, partial, refused, nil_return, quarantined, no_machine_readable_data, no_reply
    refusal_section VARCHAR,           -- the FOI Act section a letter cites ('section 12', 'section 40'); NULL if none
    years_given     VARCHAR,           -- financial years of the figures loaded, '2015/16, 2016/17'; NULL if none
    files           INTEGER NOT NULL,  -- files the force sent in this round
    reply_date      DATE,              -- the latest date written in its letters; NULL if none (never a file's mtime)
    chase           BOOLEAN NOT NULL,  -- the team should go back to this force
    chase_reason    VARCHAR            -- why, in the team's words; NULL when chase is false
);

-- A row per observation read from a reply: a table cell, or one record of a list.
CREATE TABLE offences (
    round               VARCHAR NOT NULL,
    force_code          VARCHAR NOT NULL,
    financial_year      VARCHAR NOT NULL,  -- '2016/17'
    offence_code        VARCHAR,           -- the Home Office class as ONS publishes it ('19H', '86', '88A'); NULL when the label names several classes or none, or the table has no offence breakdown
    offence_description VARCHAR,
    offence_group       VARCHAR,           -- the group all its classes share; 'unclassified' when a stated total proved an unknown label a part
    offence_classes     VARCHAR,           -- every class the label may be, '|'-separated ('19E|19H' for 'Rape of a child under 13')
    offence_as_written  VARCHAR,           -- the offence code and wording exactly as the reply printed them
    victim_age_min      INTEGER,           -- exact age: min = max; band: its bounds; NULL: not recorded
    victim_age_max      INTEGER,
    offences            INTEGER,           -- NULL when suppressed, never 0 for a suppressed cell
    suppressed          BOOLEAN NOT NULL,
    offences_lower      INTEGER NOT NULL,  -- bounds: equal to offences when known; 1 and 4 for '*'
    offences_upper      INTEGER NOT NULL,
    sha256              VARCHAR NOT NULL,  -- of the file
    path                VARCHAR NOT NULL,
    source              VARCHAR NOT NULL,  -- 'Data!D7', 'Records!A5:E5', 'line 12, column C'
    table_ref           VARCHAR NOT NULL,  -- which table of the file
    in_totals           BOOLEAN NOT NULL,  -- part of its force-year total
    in_age_figures      BOOLEAN NOT NULL   -- feeds the age figures
);

-- Totals and subtotals the replies state: checks, never added in.
CREATE TABLE stated_totals (
    round          VARCHAR NOT NULL,
    force_code     VARCHAR NOT NULL,
    financial_year VARCHAR NOT NULL,
    offence_code   VARCHAR,
    victim_age_min INTEGER,
    victim_age_max INTEGER,
    offences       INTEGER,
    suppressed     BOOLEAN NOT NULL,
    offences_lower INTEGER,           -- the total's bounds: equal unless suppressed
    offences_upper INTEGER,
    parts_lower    INTEGER,           -- what the parts it covers add up to: known sum ..
    parts_upper    INTEGER,           -- known sum + suppressed parts' upper bounds
    loaded         BOOLEAN NOT NULL,  -- false: the reply's figures were kept out (totals_disagree)
    sha256         VARCHAR NOT NULL,
    path           VARCHAR NOT NULL,
    source         VARCHAR NOT NULL,
    table_ref      VARCHAR NOT NULL
);

-- The run that built this warehouse (blocked runs leave warehouse/runs/<run_id>.json).
CREATE TABLE runs (
    run_id       VARCHAR PRIMARY KEY,
    started_at   TIMESTAMPTZ,
    finished_at  TIMESTAMPTZ,
    code_version VARCHAR,
    status       VARCHAR,
    raw_dir      VARCHAR,
    files_json   VARCHAR,  -- [{path, sha256, force_code}, ...]
    inputs_fingerprint VARCHAR  -- what it was built from (flows/incremental.py): a refresh that matches rebuilds nothing
);

CREATE TABLE validation_results (
    run_id              VARCHAR,
    suite               VARCHAR,
    expectation         VARCHAR,
    column_name         VARCHAR,
    severity            VARCHAR,
    success             BOOLEAN,
    unexpected_count    BIGINT,
    unexpected_examples VARCHAR   -- JSON: failing rows with their source cells
);

-- A row per round: the financial years it asked for, as raw/<round>/round.yaml declares
-- them or, without a usable file, inferred (flows/rounds.py). Read by published_figures.
CREATE TABLE rounds (
    round           VARCHAR PRIMARY KEY,
    years_requested VARCHAR[] NOT NULL,  -- ['2015/16', '2016/17']
    years_source    VARCHAR NOT NULL,    -- declared (round.yaml), inferred (the years most forces' data give)
    sent            DATE,                -- round.yaml's sent:, when declared
    title           VARCHAR,
    years_given     VARCHAR[] NOT NULL,  -- every year the round's figures give, asked for or not
    message         VARCHAR              -- why inferred; forces' figures for years not asked for
);
