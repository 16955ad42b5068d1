import RoostStore

/// The ordered list of SQLite migrations. Append only.
enum SQLiteMigrations {
    static let all: [SchemaMigration] = [
        SchemaMigration(
            version: 1, name: "broker_sessions_and_retained",
            statements: [
                """
                CREATE TABLE mqtt_sessions (
                    client_id TEXT PRIMARY KEY,
                    expiry_interval INTEGER NOT NULL,
                    subscriptions TEXT NOT NULL,
                    updated_at INTEGER NOT NULL
                )
                """,
                """
                CREATE TABLE mqtt_session_messages (
                    client_id TEXT NOT NULL REFERENCES mqtt_sessions(client_id) ON DELETE CASCADE,
                    seq INTEGER NOT NULL,
                    packet BLOB NOT NULL,
                    PRIMARY KEY (client_id, seq)
                )
                """,
                """
                CREATE TABLE mqtt_retained (
                    topic TEXT PRIMARY KEY,
                    packet BLOB NOT NULL,
                    stored_at INTEGER NOT NULL
                )
                """,
            ]),
        SchemaMigration(
            version: 2, name: "tenants_devices_telemetry",
            statements: [
                "CREATE TABLE tenants (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL)",
                """
                CREATE TABLE devices (
                    id INTEGER PRIMARY KEY,
                    tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                    uid TEXT NOT NULL,
                    name TEXT,
                    labels TEXT NOT NULL DEFAULT '{}',
                    status TEXT NOT NULL DEFAULT 'unknown',
                    status_doc TEXT,
                    status_at INTEGER,
                    last_seen INTEGER,
                    latest TEXT NOT NULL DEFAULT '{}',
                    latest_ts INTEGER,
                    created_at INTEGER NOT NULL,
                    UNIQUE (tenant_id, uid)
                )
                """,
                // Telemetry: arrival-ordered rows; (device, ts) serves history, the partial unique
                // index makes msg_id idempotent per device.
                """
                CREATE TABLE telemetry (
                    device_id INTEGER NOT NULL,
                    ts INTEGER NOT NULL,
                    received_at INTEGER NOT NULL,
                    msg_id TEXT,
                    data TEXT NOT NULL
                )
                """,
                "CREATE UNIQUE INDEX telemetry_device_msg ON telemetry (device_id, msg_id) WHERE msg_id IS NOT NULL",
                "CREATE INDEX telemetry_device_ts ON telemetry (device_id, ts)",
                """
                CREATE TABLE status_events (
                    id INTEGER PRIMARY KEY,
                    device_id INTEGER NOT NULL,
                    online INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    document TEXT
                )
                """,
                "CREATE INDEX status_events_device ON status_events (device_id, at)",
                """
                CREATE TABLE dead_letters (
                    id INTEGER PRIMARY KEY,
                    device_id INTEGER,
                    topic TEXT NOT NULL,
                    received_at INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    payload BLOB NOT NULL
                )
                """,
                "CREATE INDEX dead_letters_device ON dead_letters (device_id, received_at)",
            ]),
        SchemaMigration(
            version: 3, name: "device_credentials",
            statements: [
                """
                CREATE TABLE device_credentials (
                    device_id INTEGER PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
                    mqtt_username TEXT NOT NULL UNIQUE,
                    mqtt_salt BLOB NOT NULL,
                    mqtt_hash BLOB NOT NULL,
                    api_key_prefix TEXT NOT NULL UNIQUE,
                    api_salt BLOB NOT NULL,
                    api_hash BLOB NOT NULL,
                    updated_at INTEGER NOT NULL
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
                    id INTEGER PRIMARY KEY,
                    email TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL DEFAULT '',
                    role TEXT NOT NULL,
                    tenant_id INTEGER REFERENCES tenants(id) ON DELETE CASCADE,
                    password_hash TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                )
                """,
                """
                CREATE TABLE refresh_tokens (
                    token_hash BLOB PRIMARY KEY,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    expires_at INTEGER NOT NULL,
                    created_at INTEGER NOT NULL
                )
                """,
                "CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id)",
                """
                CREATE TABLE api_keys (
                    id INTEGER PRIMARY KEY,
                    prefix TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    tenant_id INTEGER REFERENCES tenants(id) ON DELETE CASCADE,
                    role TEXT NOT NULL,
                    salt BLOB NOT NULL,
                    hash BLOB NOT NULL,
                    created_at INTEGER NOT NULL
                )
                """,
                "CREATE INDEX api_keys_user ON api_keys (user_id)",
                "CREATE INDEX devices_tenant_status ON devices (tenant_id, status)",
            ]),
        SchemaMigration(
            version: 6, name: "telemetry_rollups",
            statements: [
                // Per device, key and minute: what aggregates need (see RollupStore).
                """
                CREATE TABLE telemetry_rollup (
                    device_id INTEGER NOT NULL,
                    key TEXT NOT NULL,
                    minute INTEGER NOT NULL,
                    n INTEGER NOT NULL,
                    total REAL NOT NULL,
                    lo REAL NOT NULL,
                    hi REAL NOT NULL,
                    first_ts INTEGER NOT NULL,
                    first_v REAL NOT NULL,
                    last_ts INTEGER NOT NULL,
                    last_v REAL NOT NULL,
                    PRIMARY KEY (device_id, key, minute)
                ) WITHOUT ROWID
                """,
                // `done`: the telemetry rowid up to which rollups hold every row; `generation` counts
                // deletions of telemetry, which void a rollup computed meanwhile.
                "CREATE TABLE rollup_state (id INTEGER PRIMARY KEY CHECK (id = 1), done INTEGER NOT NULL, generation INTEGER NOT NULL)",
                "INSERT INTO rollup_state (id, done, generation) VALUES (1, 0, 0)",
            ]),
        SchemaMigration(
            version: 7, name: "device_data_version",
            statements: [
                // Replaced by every telemetry write of the device (see HistoryRead): the API keeps
                // history pages while it is unchanged.
                "ALTER TABLE devices ADD COLUMN data_version INTEGER",
                "UPDATE devices SET data_version = random()",
            ]),
        SchemaMigration(
            version: 8, name: "commands",
            statements: [
                """
                CREATE TABLE commands (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
                    command TEXT NOT NULL,
                    params TEXT NOT NULL,
                    status TEXT NOT NULL,
                    result TEXT,
                    created_by TEXT,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    sent_at INTEGER,
                    delivered_at INTEGER,
                    completed_at INTEGER,
                    expires_at INTEGER NOT NULL
                )
                """,
                "CREATE INDEX commands_device ON commands (device_id, seq)",
                // The expiry sweep and the queue of each device read only unfinished commands.
                "CREATE INDEX commands_open ON commands (status, expires_at) WHERE status IN ('queued', 'sent', 'delivered')",
            ]),
        SchemaMigration(
            version: 9, name: "shadows",
            statements: [
                """
                CREATE TABLE shadows (
                    device_id INTEGER PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
                    desired TEXT NOT NULL,
                    reported TEXT NOT NULL,
                    metadata TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                )
                """
            ]),
        SchemaMigration(
            version: 10, name: "alerts",
            statements: [
                """
                CREATE TABLE alert_rules (
                    id INTEGER PRIMARY KEY,
                    tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    device_id INTEGER REFERENCES devices(id) ON DELETE CASCADE,
                    labels TEXT,
                    kind TEXT NOT NULL,
                    key TEXT,
                    op TEXT,
                    threshold REAL,
                    duration_s INTEGER NOT NULL,
                    webhook_url TEXT,
                    webhook_secret TEXT,
                    enabled INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                )
                """,
                """
                CREATE TABLE alerts (
                    id INTEGER PRIMARY KEY,
                    rule_id INTEGER NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
                    device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
                    state TEXT NOT NULL,
                    value REAL,
                    opened_at INTEGER NOT NULL,
                    acknowledged_at INTEGER,
                    acknowledged_by TEXT,
                    resolved_at INTEGER
                )
                """,
                // One alert that is not resolved per rule and device: the store deduplicates.
                "CREATE UNIQUE INDEX alerts_active ON alerts (rule_id, device_id) WHERE state != 'resolved'",
                "CREATE INDEX alerts_device ON alerts (device_id, id)",
                """
                CREATE TABLE webhook_deliveries (
                    id INTEGER PRIMARY KEY,
                    alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
                    event TEXT NOT NULL,
                    url TEXT NOT NULL,
                    body TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    next_attempt_at INTEGER NOT NULL,
                    claimed_until INTEGER NOT NULL,
                    last_status INTEGER,
                    last_error TEXT,
                    created_at INTEGER NOT NULL,
                    delivered_at INTEGER
                )
                """,
                "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'",
                "CREATE INDEX webhook_deliveries_alert ON webhook_deliveries (alert_id, id)",
            ]),
        SchemaMigration(
            version: 11, name: "schedules",
            statements: [
                """
                CREATE TABLE schedules (
                    id INTEGER PRIMARY KEY,
                    tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                    name TEXT,
                    device_id INTEGER REFERENCES devices(id) ON DELETE CASCADE,
                    labels TEXT,
                    command TEXT NOT NULL,
                    params TEXT NOT NULL,
                    timeout_s INTEGER,
                    kind TEXT NOT NULL,
                    at_ms INTEGER,
                    every_s INTEGER,
                    cron TEXT,
                    tz TEXT,
                    enabled INTEGER NOT NULL,
                    next_run_at INTEGER,
                    last_run_at INTEGER,
                    created_by TEXT,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                )
                """,
                "CREATE INDEX schedules_due ON schedules (next_run_at) WHERE next_run_at IS NOT NULL",
                """
                CREATE TABLE schedule_runs (
                    id INTEGER PRIMARY KEY,
                    schedule_id INTEGER NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
                    due_at INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    commands TEXT NOT NULL,
                    detail TEXT,
                    -- A due time is claimed once.
                    UNIQUE (schedule_id, due_at)
                )
                """,
            ]),
        SchemaMigration(
            version: 12, name: "leases",
            statements: [
                // Periodic jobs one node runs at a time (retention): who holds each, until when.
                "CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, until INTEGER NOT NULL)"
            ]),
    ]
}
