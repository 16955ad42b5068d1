import RoostStore

/// The ordered PostgreSQL migrations; the same schema as SQLite's, in PostgreSQL's types.
/// Append only.
enum PostgresMigrations {
    static let all: [SchemaMigration] = [
        SchemaMigration(
            version: 1, name: "broker_sessions_and_retained",
            statements: [
                """
                CREATE TABLE mqtt_sessions (
                    client_id TEXT PRIMARY KEY,
                    expiry_interval BIGINT NOT NULL,
                    subscriptions TEXT NOT NULL,
                    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """,
                """
                CREATE TABLE mqtt_session_messages (
                    client_id TEXT NOT NULL REFERENCES mqtt_sessions(client_id) ON DELETE CASCADE,
                    seq INTEGER NOT NULL,
                    packet BYTEA NOT NULL,
                    PRIMARY KEY (client_id, seq)
                )
                """,
                """
                CREATE TABLE mqtt_retained (
                    topic TEXT PRIMARY KEY,
                    packet BYTEA NOT NULL,
                    stored_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """,
            ]),
        SchemaMigration(
            version: 2, name: "tenants_devices_telemetry",
            statements: [
                "CREATE TABLE tenants (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL)",
                """
                CREATE TABLE devices (
                    id BIGSERIAL PRIMARY KEY,
                    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                    uid TEXT NOT NULL,
                    name TEXT,
                    labels JSONB NOT NULL DEFAULT '{}',
                    status TEXT NOT NULL DEFAULT 'unknown',
                    status_doc JSONB,
                    status_at BIGINT,
                    last_seen BIGINT,
                    latest JSONB NOT NULL DEFAULT '{}',
                    latest_ts BIGINT,
                    created_at BIGINT NOT NULL,
                    UNIQUE (tenant_id, uid)
                )
                """,
                """
                CREATE TABLE telemetry (
                    device_id BIGINT NOT NULL,
                    ts BIGINT NOT NULL,
                    received_at BIGINT NOT NULL,
                    msg_id TEXT,
                    data JSONB NOT NULL
                )
                """,
                "CREATE UNIQUE INDEX telemetry_device_msg ON telemetry (device_id, msg_id) WHERE msg_id IS NOT NULL",
                "CREATE INDEX telemetry_device_ts ON telemetry (device_id, ts)",
                """
                CREATE TABLE status_events (
                    id BIGSERIAL PRIMARY KEY,
                    device_id BIGINT NOT NULL,
                    online BOOLEAN NOT NULL,
                    at BIGINT NOT NULL,
                    reason TEXT NOT NULL,
                    document JSONB
                )
                """,
                "CREATE INDEX status_events_device ON status_events (device_id, at)",
                """
                CREATE TABLE dead_letters (
                    id BIGSERIAL PRIMARY KEY,
                    device_id BIGINT,
                    topic TEXT NOT NULL,
                    received_at BIGINT NOT NULL,
                    reason TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    payload BYTEA NOT NULL
                )
                """,
                "CREATE INDEX dead_letters_device ON dead_letters (device_id, received_at)",
            ]),
        SchemaMigration(
            version: 3, name: "device_credentials",
            statements: [
                """
                CREATE TABLE device_credentials (
                    device_id BIGINT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
                    mqtt_username TEXT NOT NULL UNIQUE,
                    mqtt_salt BYTEA NOT NULL,
                    mqtt_hash BYTEA NOT NULL,
                    api_key_prefix TEXT NOT NULL UNIQUE,
                    api_salt BYTEA NOT NULL,
                    api_hash BYTEA NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """
            ]),
        SchemaMigration(
            version: 4, name: "telemetry_raw_payload",
            statements: [
                // The payload as the device sent it; `data` keeps the flattened leaves that
                // history and aggregates read (see docs/telemetry-layout.md).
                "ALTER TABLE telemetry ADD COLUMN payload TEXT"
            ]),
        SchemaMigration(
            version: 5, name: "users_sessions_api_keys",
            statements: [
                """
                CREATE TABLE users (
                    id BIGSERIAL PRIMARY KEY,
                    email TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL DEFAULT '',
                    role TEXT NOT NULL,
                    tenant_id BIGINT REFERENCES tenants(id) ON DELETE CASCADE,
                    password_hash TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE refresh_tokens (
                    token_hash BYTEA PRIMARY KEY,
                    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    expires_at BIGINT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id)",
                """
                CREATE TABLE api_keys (
                    id BIGSERIAL PRIMARY KEY,
                    prefix TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    tenant_id BIGINT REFERENCES tenants(id) ON DELETE CASCADE,
                    role TEXT NOT NULL,
                    salt BYTEA NOT NULL,
                    hash BYTEA NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX api_keys_user ON api_keys (user_id)",
                "CREATE INDEX devices_tenant_status ON devices (tenant_id, status)",
                // A stable tiebreak for history cursors (SQLite has its rowid).
                "ALTER TABLE telemetry ADD COLUMN id BIGINT GENERATED BY DEFAULT AS IDENTITY",
            ]),
        SchemaMigration(
            version: 6, name: "telemetry_rollups",
            statements: [
                // Per device, key and minute: what aggregates need (see RollupStore).
                """
                CREATE TABLE telemetry_rollup (
                    device_id BIGINT NOT NULL,
                    key TEXT NOT NULL,
                    minute BIGINT NOT NULL,
                    n BIGINT NOT NULL,
                    total DOUBLE PRECISION NOT NULL,
                    lo DOUBLE PRECISION NOT NULL,
                    hi DOUBLE PRECISION NOT NULL,
                    first_ts BIGINT NOT NULL,
                    first_v DOUBLE PRECISION NOT NULL,
                    last_ts BIGINT NOT NULL,
                    last_v DOUBLE PRECISION NOT NULL,
                    PRIMARY KEY (device_id, key, minute)
                )
                """,
                // `done`: the telemetry id up to which rollups hold every row; `generation` counts
                // deletions of telemetry, which void a rollup computed meanwhile.
                "CREATE TABLE rollup_state (id INT PRIMARY KEY CHECK (id = 1), done BIGINT NOT NULL, generation BIGINT NOT NULL)",
                "INSERT INTO rollup_state (id, done, generation) VALUES (1, 0, 0)",
                // Rollups read new rows by id range; ids follow the table's physical order, so a
                // BRIN index finds them for almost nothing at insert time.
                "CREATE INDEX telemetry_id_brin ON telemetry USING brin (id)",
            ]),
        SchemaMigration(
            version: 7, name: "telemetry_id_btree",
            statements: [
                // Measured: ranges not yet summarized (everything since the last VACUUM) match
                // any BRIN condition, so each rollup round read every recent page. A B-tree on
                // the id appends at its right edge.
                "DROP INDEX IF EXISTS telemetry_id_brin",
                "CREATE INDEX IF NOT EXISTS telemetry_id ON telemetry (id)",
            ]),
        SchemaMigration(
            version: 8, name: "device_data_version",
            statements: [
                // Replaced by every telemetry write of the device (see HistoryRead): the API keeps
                // history pages while it is unchanged.
                "ALTER TABLE devices ADD COLUMN data_version BIGINT",
                "UPDATE devices SET data_version = (random() * 9.2e18 - 4.6e18)::bigint",
            ]),
        SchemaMigration(
            version: 9, name: "telemetry_rollup_hours",
            statements: [
                // Minute cells of past hours packed per device, key and hour (see packRollups):
                // PostgreSQL's cost is per row read, and a day is 1,440 minutes but 24 hours.
                """
                CREATE TABLE telemetry_rollup_hour (
                    device_id BIGINT NOT NULL,
                    key TEXT NOT NULL,
                    hour BIGINT NOT NULL,
                    cells BYTEA NOT NULL,
                    PRIMARY KEY (device_id, key, hour)
                )
                """,
                // An hour is ~4.3 KB: kept inline and uncompressed (pglz cost more than the bytes).
                "ALTER TABLE telemetry_rollup_hour SET (toast_tuple_target = 8160)",
            ]),
        SchemaMigration(
            version: 10, name: "commands",
            statements: [
                """
                CREATE TABLE commands (
                    seq BIGSERIAL PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    device_id BIGINT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
                    command TEXT NOT NULL,
                    params JSONB NOT NULL,
                    status TEXT NOT NULL,
                    result JSONB,
                    created_by TEXT,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    sent_at BIGINT,
                    delivered_at BIGINT,
                    completed_at BIGINT,
                    expires_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX commands_device ON commands (device_id, seq)",
                // The expiry sweep and the queue of each device read only unfinished commands.
                "CREATE INDEX commands_open ON commands (status, expires_at) WHERE status IN ('queued', 'sent', 'delivered')",
            ]),
        SchemaMigration(
            version: 11, name: "shadows",
            statements: [
                """
                CREATE TABLE shadows (
                    device_id BIGINT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
                    -- json, not jsonb: a shadow reads back in the order its keys were written.
                    desired JSON NOT NULL,
                    reported JSON NOT NULL,
                    metadata JSON NOT NULL,
                    version BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """
            ]),
        SchemaMigration(
            version: 12, name: "alerts",
            statements: [
                """
                CREATE TABLE alert_rules (
                    id BIGSERIAL PRIMARY KEY,
                    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    device_id BIGINT REFERENCES devices(id) ON DELETE CASCADE,
                    labels TEXT,
                    kind TEXT NOT NULL,
                    key TEXT,
                    op TEXT,
                    threshold DOUBLE PRECISION,
                    duration_s BIGINT NOT NULL,
                    webhook_url TEXT,
                    webhook_secret TEXT,
                    enabled BOOLEAN NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE alerts (
                    id BIGSERIAL PRIMARY KEY,
                    rule_id BIGINT NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
                    device_id BIGINT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
                    state TEXT NOT NULL,
                    value DOUBLE PRECISION,
                    opened_at BIGINT NOT NULL,
                    acknowledged_at BIGINT,
                    acknowledged_by TEXT,
                    resolved_at BIGINT
                )
                """,
                // One alert that is not resolved per rule and device: the store deduplicates.
                "CREATE UNIQUE INDEX alerts_active ON alerts (rule_id, device_id) WHERE state <> 'resolved'",
                "CREATE INDEX alerts_device ON alerts (device_id, id)",
                """
                CREATE TABLE webhook_deliveries (
                    id BIGSERIAL PRIMARY KEY,
                    alert_id BIGINT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
                    event TEXT NOT NULL,
                    url TEXT NOT NULL,
                    body TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    next_attempt_at BIGINT NOT NULL,
                    claimed_until BIGINT NOT NULL,
                    last_status INTEGER,
                    last_error TEXT,
                    created_at BIGINT NOT NULL,
                    delivered_at BIGINT
                )
                """,
                "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'",
                "CREATE INDEX webhook_deliveries_alert ON webhook_deliveries (alert_id, id)",
            ]),
        SchemaMigration(
            version: 13, name: "schedules",
            statements: [
                """
                CREATE TABLE schedules (
                    id BIGSERIAL PRIMARY KEY,
                    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                    name TEXT,
                    device_id BIGINT REFERENCES devices(id) ON DELETE CASCADE,
                    labels TEXT,
                    command TEXT NOT NULL,
                    params TEXT NOT NULL,
                    timeout_s BIGINT,
                    kind TEXT NOT NULL,
                    at_ms BIGINT,
                    every_s BIGINT,
                    cron TEXT,
                    tz TEXT,
                    enabled BOOLEAN NOT NULL,
                    next_run_at BIGINT,
                    last_run_at BIGINT,
                    created_by TEXT,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX schedules_due ON schedules (next_run_at) WHERE next_run_at IS NOT NULL",
                """
                CREATE TABLE schedule_runs (
                    id BIGSERIAL PRIMARY KEY,
                    schedule_id BIGINT NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
                    due_at BIGINT NOT NULL,
                    at BIGINT NOT NULL,
                    status TEXT NOT NULL,
                    commands TEXT NOT NULL,
                    detail TEXT,
                    -- A due time is claimed once.
                    UNIQUE (schedule_id, due_at)
                )
                """,
            ]),
        SchemaMigration(
            version: 14, name: "leases",
            statements: [
                // Periodic jobs one node runs at a time (retention): who holds each, until when.
                "CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, until BIGINT NOT NULL)"
            ]),
    ]
}
