import PostgresNIO
public import RoostStore

extension PostgresAPIStore {
    public func deleteTelemetry(tenantID: Int64, before: Int64, rolledUpOnly: Bool, limit: Int) async throws -> Int {
        try await storeErrors {
            let rows = try await client.query(
                """
                WITH gone AS (
                    DELETE FROM telemetry WHERE id IN (
                        SELECT t.id FROM devices d JOIN telemetry t ON t.device_id = d.id
                        WHERE d.tenant_id = \(tenantID) AND t.ts < \(before)
                            AND (NOT \(rolledUpOnly) OR t.id <= (SELECT done FROM rollup_state WHERE id = 1))
                        LIMIT \(limit))
                    RETURNING device_id),
                touched AS (
                    UPDATE devices SET data_version = (random() * 9.2e18 - 4.6e18)::bigint
                    WHERE id IN (SELECT DISTINCT device_id FROM gone) RETURNING id)
                SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM touched)
                """, logger: logger)
            for try await (gone, _) in rows.decode((Int64, Int64).self) { return Int(gone) }
            return 0
        }
    }

    public func deleteRollups(tenantID: Int64, before: Int64, limit: Int) async throws -> Int {
        try await storeErrors {
            var total = 0
            // Minutes first, then packed hours that end by the cutoff (each row is an hour).
            for (table, column, span) in [("telemetry_rollup", "minute", Int64(0)), ("telemetry_rollup_hour", "hour", 3_600_000)] {
                let query = PostgresQuery(
                    unsafeSQL: """
                        WITH gone AS (
                            DELETE FROM \(table) WHERE (device_id, key, \(column)) IN (
                                SELECT r.device_id, r.key, r.\(column) FROM devices d JOIN \(table) r ON r.device_id = d.id
                                WHERE d.tenant_id = $1 AND r.\(column) + $2 <= $3 AND r.\(column) < $3 LIMIT $4)
                            RETURNING 1)
                        SELECT count(*) FROM gone
                        """,
                    binds: try Self.binds(tenantID, span, before, Int64(limit - total)))
                for try await n in try await client.query(query, logger: logger).decode(Int64.self) { total += Int(n) }
                if total >= limit { break }
            }
            return total
        }
    }

    public func claimLease(_ name: String, holder: String, until: Int64, now: Int64) async throws -> Bool {
        try await storeErrors {
            let rows = try await client.query(
                """
                INSERT INTO leases (name, holder, until) VALUES (\(name), \(holder), \(until))
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
                WHERE leases.until < \(now) OR leases.holder = excluded.holder
                RETURNING name
                """, logger: logger)
            for try await _ in rows.decode(String.self) { return true }
            return false
        }
    }

    private static func binds(_ values: Int64...) throws -> PostgresBindings {
        var binds = PostgresBindings()
        for v in values { binds.append(v) }
        return binds
    }
}
