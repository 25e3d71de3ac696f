-- procos schema, SQLite 3.35+ (WAL mode).
-- Times are milliseconds since the epoch (BIGINT); ids are Camunda-style UUID strings.

CREATE TABLE deployment (
    id          TEXT PRIMARY KEY,
    name        TEXT,
    source      TEXT,
    tenant_id   TEXT,
    deploy_time BIGINT NOT NULL
);
CREATE INDEX deployment_name ON deployment (name);

CREATE TABLE deployment_resource (
    deployment_id TEXT NOT NULL REFERENCES deployment (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    content       BLOB NOT NULL,
    PRIMARY KEY (deployment_id, name)
);

CREATE TABLE process_definition (
    id            TEXT PRIMARY KEY,
    key           TEXT NOT NULL,
    version       INTEGER NOT NULL,
    version_tag   TEXT,
    name          TEXT,
    category      TEXT,
    description   TEXT,
    tenant_id     TEXT,
    deployment_id TEXT NOT NULL REFERENCES deployment (id) ON DELETE CASCADE,
    resource_name TEXT NOT NULL,
    history_ttl   INTEGER,
    startable     BOOLEAN NOT NULL,
    suspended     BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX process_definition_version
    ON process_definition (key, COALESCE(tenant_id, ''), version);

-- One row per running instance: its token tree and variables as one document, so a
-- command reads one row.
CREATE TABLE process_instance (
    id                TEXT PRIMARY KEY,
    definition_id     TEXT NOT NULL REFERENCES process_definition (id),
    definition_key    TEXT NOT NULL,
    business_key      TEXT,
    tenant_id         TEXT,
    super_instance_id TEXT,
    suspended         BOOLEAN NOT NULL DEFAULT FALSE,
    revision          INTEGER NOT NULL,
    started           BIGINT NOT NULL,
    state             TEXT NOT NULL
);
CREATE INDEX process_instance_definition ON process_instance (definition_id);
CREATE INDEX process_instance_key ON process_instance (definition_key);
CREATE INDEX process_instance_business_key ON process_instance (business_key);

-- A queryable mirror of the variables kept in process_instance.state.
CREATE TABLE variable (
    id           TEXT PRIMARY KEY,
    instance_id  TEXT NOT NULL,
    scope_id     TEXT NOT NULL,
    name         TEXT NOT NULL,
    type         TEXT NOT NULL,
    text_value   TEXT,
    long_value   BIGINT,
    double_value REAL,
    bytes_value  BLOB,
    info         TEXT
);
CREATE UNIQUE INDEX variable_scope_name ON variable (scope_id, name);
CREATE INDEX variable_instance ON variable (instance_id);
CREATE INDEX variable_name_text ON variable (name, text_value);

CREATE TABLE external_task (
    id                   TEXT PRIMARY KEY,
    instance_id          TEXT NOT NULL,
    execution_id         TEXT NOT NULL,
    activity_id          TEXT NOT NULL,
    activity_instance_id TEXT NOT NULL,
    definition_id        TEXT NOT NULL,
    definition_key       TEXT NOT NULL,
    version_tag          TEXT,
    tenant_id            TEXT,
    business_key         TEXT,
    topic                TEXT NOT NULL,
    priority             BIGINT NOT NULL,
    worker_id            TEXT,
    lock_expiration      BIGINT,
    retries              INTEGER,
    error_message        TEXT,
    error_details        TEXT,
    suspended            BOOLEAN NOT NULL DEFAULT FALSE,
    create_time          BIGINT NOT NULL
);
CREATE INDEX external_task_fetch ON external_task (topic, priority DESC, create_time);
CREATE INDEX external_task_instance ON external_task (instance_id);

CREATE TABLE user_task (
    id                   TEXT PRIMARY KEY,
    instance_id          TEXT NOT NULL,
    execution_id         TEXT NOT NULL,
    activity_id          TEXT NOT NULL,
    activity_instance_id TEXT NOT NULL,
    definition_id        TEXT NOT NULL,
    definition_key       TEXT NOT NULL,
    tenant_id            TEXT,
    business_key         TEXT,
    name                 TEXT,
    description          TEXT,
    assignee             TEXT,
    owner                TEXT,
    priority             BIGINT NOT NULL,
    due                  BIGINT,
    follow_up            BIGINT,
    form_key             TEXT,
    suspended            BOOLEAN NOT NULL DEFAULT FALSE,
    created              BIGINT NOT NULL,
    last_updated         BIGINT
);
CREATE INDEX user_task_instance ON user_task (instance_id);
CREATE INDEX user_task_assignee ON user_task (assignee);

CREATE TABLE task_candidate (
    task_id TEXT NOT NULL REFERENCES user_task (id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (task_id, kind, value)
);
CREATE INDEX task_candidate_value ON task_candidate (kind, value);

-- Message and signal subscriptions; instance_id is NULL for start events.
CREATE TABLE event_subscription (
    id            TEXT PRIMARY KEY,
    event_type    TEXT NOT NULL,
    event_name    TEXT NOT NULL,
    instance_id   TEXT,
    execution_id  TEXT,
    activity_id   TEXT NOT NULL,
    definition_id TEXT NOT NULL,
    tenant_id     TEXT,
    created       BIGINT NOT NULL
);
CREATE INDEX event_subscription_name ON event_subscription (event_type, event_name);
CREATE INDEX event_subscription_instance ON event_subscription (instance_id);

-- Timers (and, later, asynchronous continuations); instance_id is NULL for timer
-- start events.
CREATE TABLE job (
    id                TEXT PRIMARY KEY,
    job_type          TEXT NOT NULL,
    due               BIGINT NOT NULL,
    instance_id       TEXT,
    execution_id      TEXT,
    definition_id     TEXT NOT NULL,
    definition_key    TEXT NOT NULL,
    activity_id       TEXT NOT NULL,
    tenant_id         TEXT,
    repeat            TEXT,
    retries           INTEGER NOT NULL,
    exception_message TEXT,
    exception_details TEXT,
    lock_owner        TEXT,
    lock_expiration   BIGINT,
    suspended         BOOLEAN NOT NULL DEFAULT FALSE,
    priority          BIGINT NOT NULL DEFAULT 0,
    created           BIGINT NOT NULL
);
CREATE INDEX job_due ON job (due);
CREATE INDEX job_instance ON job (instance_id);

CREATE TABLE incident (
    id                 TEXT PRIMARY KEY,
    incident_type      TEXT NOT NULL,
    created            BIGINT NOT NULL,
    instance_id        TEXT,
    execution_id       TEXT,
    activity_id        TEXT,
    failed_activity_id TEXT,
    definition_id      TEXT,
    configuration      TEXT,
    message            TEXT,
    tenant_id          TEXT
);
CREATE INDEX incident_instance ON incident (instance_id);
CREATE INDEX incident_configuration ON incident (configuration);

CREATE TABLE hi_process_instance (
    id                 TEXT PRIMARY KEY,
    definition_id      TEXT NOT NULL,
    definition_key     TEXT NOT NULL,
    definition_name    TEXT,
    definition_version INTEGER NOT NULL,
    business_key       TEXT,
    tenant_id          TEXT,
    super_instance_id  TEXT,
    root_instance_id   TEXT NOT NULL,
    start_time         BIGINT NOT NULL,
    end_time           BIGINT,
    start_activity_id  TEXT,
    end_activity_id    TEXT,
    state              TEXT NOT NULL,
    delete_reason      TEXT,
    removal_time       BIGINT
);
CREATE INDEX hi_process_instance_definition ON hi_process_instance (definition_id);
CREATE INDEX hi_process_instance_end ON hi_process_instance (end_time);

CREATE TABLE hi_activity_instance (
    id                 TEXT PRIMARY KEY,
    instance_id        TEXT NOT NULL,
    parent_id          TEXT NOT NULL,
    execution_id       TEXT NOT NULL,
    activity_id        TEXT NOT NULL,
    activity_name      TEXT,
    activity_type      TEXT NOT NULL,
    definition_id      TEXT NOT NULL,
    definition_key     TEXT NOT NULL,
    tenant_id          TEXT,
    task_id            TEXT,
    assignee           TEXT,
    called_instance_id TEXT,
    start_time         BIGINT NOT NULL,
    end_time           BIGINT,
    canceled           BOOLEAN NOT NULL DEFAULT FALSE,
    seq                BIGINT NOT NULL
);
CREATE INDEX hi_activity_instance_instance ON hi_activity_instance (instance_id, seq);

CREATE TABLE hi_variable (
    id             TEXT PRIMARY KEY,
    instance_id    TEXT NOT NULL,
    scope_id       TEXT NOT NULL,
    name           TEXT NOT NULL,
    type           TEXT NOT NULL,
    text_value     TEXT,
    long_value     BIGINT,
    double_value   REAL,
    bytes_value    BLOB,
    info           TEXT,
    state          TEXT NOT NULL,
    definition_id  TEXT NOT NULL,
    definition_key TEXT NOT NULL,
    tenant_id      TEXT,
    created        BIGINT NOT NULL,
    revision       INTEGER NOT NULL
);
CREATE INDEX hi_variable_instance ON hi_variable (instance_id);
CREATE INDEX hi_variable_scope_name ON hi_variable (scope_id, name);
