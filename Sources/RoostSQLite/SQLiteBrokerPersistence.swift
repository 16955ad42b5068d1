import Foundation
public import MQTTHooks
import MQTTCore
import NIOCore
import SQLiteNIO

/// Persistent MQTT sessions and retained messages in the SQLite store.
public struct SQLiteBrokerPersistence: BrokerPersistence {
    let store: SQLiteStore

    /// Uses an open store (its migrations create the tables).
    public init(store: SQLiteStore) {
        self.store = store
    }

    public func loadSessions() async throws -> [StoredSession] {
        let db = store.connection
        let rows = try await db.rows("SELECT client_id, expiry_interval, subscriptions FROM mqtt_sessions", [])
        var sessions: [StoredSession] = []
        for row in rows {
            guard let id = row.column("client_id")?.string,
                let expiry = row.column("expiry_interval")?.integer,
                let subsJSON = row.column("subscriptions")?.string
            else { continue }
            let subs =
                (try? JSONDecoder().decode([StoredSession.StoredSubscription].self, from: Data(subsJSON.utf8))) ?? []
            let messages = try await db.rows(
                "SELECT packet FROM mqtt_session_messages WHERE client_id = ? ORDER BY seq", [.text(id)])
            let pending = messages.compactMap { row -> StoredMessage? in
                guard case .blob(let blob)? = row.column("packet") else { return nil }
                return StoredMessage(packet: blob, expiresIn: nil)
            }
            sessions.append(
                StoredSession(
                    clientID: id, expiryInterval: UInt32(clamping: expiry), subscriptions: subs, pending: pending))
        }
        return sessions
    }

    public func loadRetained() async throws -> [StoredMessage] {
        let rows = try await store.connection.rows("SELECT packet FROM mqtt_retained", [])
        return rows.compactMap { row in
            guard case .blob(let blob)? = row.column("packet") else { return nil }
            return StoredMessage(packet: blob, expiresIn: nil)
        }
    }

    public func saveSession(_ session: StoredSession) async throws {
        let subs = String(decoding: try JSONEncoder().encode(session.subscriptions), as: UTF8.self)
        let db = store.connection
        try await store.transaction {
            _ = try await db.rows(
                """
                INSERT INTO mqtt_sessions (client_id, expiry_interval, subscriptions, updated_at)
                VALUES (?, ?, ?, strftime('%s','now'))
                ON CONFLICT(client_id) DO UPDATE SET expiry_interval = excluded.expiry_interval,
                    subscriptions = excluded.subscriptions, updated_at = excluded.updated_at
                """, [.text(session.clientID), .integer(Int(session.expiryInterval)), .text(subs)])
            _ = try await db.rows("DELETE FROM mqtt_session_messages WHERE client_id = ?", [.text(session.clientID)])
            for (seq, message) in session.pending.enumerated() {
                _ = try await db.rows(
                    "INSERT INTO mqtt_session_messages (client_id, seq, packet) VALUES (?, ?, ?)",
                    [.text(session.clientID), .integer(seq), .blob(message.packet)])
            }
        }
    }

    public func deleteSession(clientID: String) async throws {
        let db = store.connection
        try await store.transaction {
            _ = try await db.rows("DELETE FROM mqtt_sessions WHERE client_id = ?", [.text(clientID)])
        }
    }

    public func saveRetained(topic: String, message: StoredMessage) async throws {
        let db = store.connection
        try await store.transaction {
            _ = try await db.rows(
                """
                INSERT INTO mqtt_retained (topic, packet, stored_at) VALUES (?, ?, strftime('%s','now'))
                ON CONFLICT(topic) DO UPDATE SET packet = excluded.packet, stored_at = excluded.stored_at
                """, [.text(topic), .blob(message.packet)])
        }
    }

    public func deleteRetained(topic: String) async throws {
        let db = store.connection
        try await store.transaction {
            _ = try await db.rows("DELETE FROM mqtt_retained WHERE topic = ?", [.text(topic)])
        }
    }
}
