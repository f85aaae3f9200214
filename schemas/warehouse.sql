-- The warehouse's tables. What each table and column means: schemas/warehouse_docs.yaml
-- (the warehouse's DuckDB comments and docs/warehouse.md are made from it). Names and
-- meanings are the contract with the analysts: columns may be added, never renamed.
-- Marts: schemas/marts/*.sql.

CREATE TABLE forces (
    force_code  VARCHAR PRIMARY KEY,
    force_name  VARCHAR NOT NULL,
    nation      VARCHAR NOT NULL
);

CREATE TABLE offence_codes (
    offence_code        VARCHAR PRIMARY KEY,
    offence_description VARCHAR NOT NULL,
    offence_group       VARCHAR NOT NULL
);

CREATE TABLE returns (
    round        VARCHAR NOT NULL,
    force_code   VARCHAR,
    force_folder VARCHAR NOT NULL,
    path         VARCHAR NOT NULL,
    sha256       VARCHAR NOT NULL,
    file_type    VARCHAR NOT NULL,
    size_bytes   BIGINT,
    layout       VARCHAR,
    status       VARCHAR NOT NULL,
    reason       VARCHAR,
    message      VARCHAR,
    personal_data VARCHAR,
    rows_loaded  INTEGER NOT NULL
);

CREATE TABLE force_replies (
    round      VARCHAR NOT NULL,
    force_code VARCHAR NOT NULL,
    force_name VARCHAR NOT NULL,
    reply      VARCHAR NOT NULL,
    message    VARCHAR
);

CREATE TABLE responses (
    round           VARCHAR NOT NULL,
    force_code      VARCHAR NOT NULL,
    force_name      VARCHAR NOT NULL,
    response        VARCHAR NOT NULL,
    refusal_section VARCHAR,
    years_given     VARCHAR,
    files           INTEGER NOT NULL,
    reply_date      DATE,
    chase           BOOLEAN NOT NULL,
    chase_reason    VARCHAR
);

CREATE TABLE offences (
    round               VARCHAR NOT NULL,
    force_code          VARCHAR NOT NULL,
    financial_year      VARCHAR NOT NULL,
    offence_code        VARCHAR,
    offence_description VARCHAR,
    offence_group       VARCHAR,
    offence_classes     VARCHAR,
    offence_as_written  VARCHAR,
    victim_age_min      INTEGER,
    victim_age_max      INTEGER,
    offences            INTEGER,
    suppressed          BOOLEAN NOT NULL,
    offences_lower      INTEGER NOT NULL,
    offences_upper      INTEGER NOT NULL,
    sha256              VARCHAR NOT NULL,
    path                VARCHAR NOT NULL,
    source              VARCHAR NOT NULL,
    table_ref           VARCHAR NOT NULL,
    in_totals           BOOLEAN NOT NULL,
    in_age_figures      BOOLEAN NOT NULL
);

CREATE TABLE stated_totals (
    round          VARCHAR NOT NULL,
    force_code     VARCHAR NOT NULL,
    financial_year VARCHAR NOT NULL,
    offence_code   VARCHAR,
    victim_age_min INTEGER,
    victim_age_max INTEGER,
    offences       INTEGER,
    suppressed     BOOLEAN NOT NULL,
    offences_lower INTEGER,
    offences_upper INTEGER,
    parts_lower    INTEGER,
    parts_upper    INTEGER,
    loaded         BOOLEAN NOT NULL,
    sha256         VARCHAR NOT NULL,
    path           VARCHAR NOT NULL,
    source         VARCHAR NOT NULL,
    table_ref      VARCHAR NOT NULL
);

CREATE TABLE runs (
    run_id       VARCHAR PRIMARY KEY,
    started_at   TIMESTAMPTZ,
    finished_at  TIMESTAMPTZ,
    code_version VARCHAR,
    status       VARCHAR,
    raw_dir      VARCHAR,
    files_json   VARCHAR,
    inputs_fingerprint VARCHAR
);

CREATE TABLE validation_results (
    run_id              VARCHAR,
    suite               VARCHAR,
    expectation         VARCHAR,
    column_name         VARCHAR,
    severity            VARCHAR,
    success             BOOLEAN,
    unexpected_count    BIGINT,
    unexpected_examples VARCHAR
);

CREATE TABLE rounds (
    round           VARCHAR PRIMARY KEY,
    years_requested VARCHAR[] NOT NULL,
    years_source    VARCHAR NOT NULL,
    sent            DATE,
    title           VARCHAR,
    years_given     VARCHAR[] NOT NULL,
    message         VARCHAR
);
