import Foundation
public import MQTTHooks
import NIOCore
import PostgresNIO

/// Persistent MQTT sessions and retained messages in PostgreSQL.
public struct PostgresBrokerPersistence: BrokerPersistence {
    let store: PostgresStore

    /// Uses a running store (its migrations create the tables).
    public init(store: PostgresStore) {
        self.store = store
    }

    public func loadSessions() async throws -> [StoredSession] {
        let logger = store.logger
        var sessions: [StoredSession] = []
        let rows = try await store.client.query(
            "SELECT client_id, expiry_interval, subscriptions FROM mqtt_sessions", logger: logger)
        for try await (id, expiry, subsJSON) in rows.decode((String, Int64, String).self) {
            let subs =
                (try? JSONDecoder().decode([StoredSession.StoredSubscription].self, from: Data(subsJSON.utf8))) ?? []
            var pending: [StoredMessage] = []
            let messages = try await store.client.query(
                "SELECT packet FROM mqtt_session_messages WHERE client_id = \(id) ORDER BY seq", logger: logger)
            for try await packet in messages.decode(ByteBuffer.self) {
                pending.append(StoredMessage(packet: packet, expiresIn: nil))
            }
            sessions.append(
                StoredSession(
                    clientID: id, expiryInterval: UInt32(clamping: expiry), subscriptions: subs, pending: pending))
        }
        return sessions
    }

    public func loadRetained() async throws -> [StoredMessage] {
        var result: [StoredMessage] = []
        let rows = try await store.client.query("SELECT packet FROM mqtt_retained", logger: store.logger)
        for try await packet in rows.decode(ByteBuffer.self) {
            result.append(StoredMessage(packet: packet, expiresIn: nil))
        }
        return result
    }

    public func saveSession(_ session: StoredSession) async throws {
        let subs = String(decoding: try JSONEncoder().encode(session.subscriptions), as: UTF8.self)
        let logger = store.logger
        try await store.client.withTransaction(logger: logger) { conn in
            try await conn.query(
                """
                INSERT INTO mqtt_sessions (client_id, expiry_interval, subscriptions, updated_at)
                VALUES (\(session.clientID), \(Int64(session.expiryInterval)), \(subs), now())
                ON CONFLICT (client_id) DO UPDATE SET expiry_interval = excluded.expiry_interval,
                    subscriptions = excluded.subscriptions, updated_at = excluded.updated_at
                """, logger: logger)
            try await conn.query(
                "DELETE FROM mqtt_session_messages WHERE client_id = \(session.clientID)", logger: logger)
            for (seq, message) in session.pending.enumerated() {
                try await conn.query(
                    "INSERT INTO mqtt_session_messages (client_id, seq, packet) VALUES (\(session.clientID), \(seq), \(message.packet))",
                    logger: logger)
            }
        }
    }

    public func deleteSession(clientID: String) async throws {
        try await store.client.query("DELETE FROM mqtt_sessions WHERE client_id = \(clientID)", logger: store.logger)
    }

    public func saveRetained(topic: String, message: StoredMessage) async throws {
        try await store.client.query(
            """
            INSERT INTO mqtt_retained (topic, packet, stored_at) VALUES (\(topic), \(message.packet), now())
            ON CONFLICT (topic) DO UPDATE SET packet = excluded.packet, stored_at = excluded.stored_at
            """, logger: store.logger)
    }

    public func deleteRetained(topic: String) async throws {
        try await store.client.query("DELETE FROM mqtt_retained WHERE topic = \(topic)", logger: store.logger)
    }
}
