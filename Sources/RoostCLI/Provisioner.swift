import Foundation

/// Devices created through a server's API (or their credentials rotated when they exist), for
/// `roost simulate --provision`: each gets its own MQTT login.
public enum Provisioner {
    /// A device's MQTT login.
    public struct Login: Sendable, Hashable {
        public var username: String
        public var password: String
        /// The tenant the device is in (its topics name it).
        public var tenant: String
    }

    /// Creates (or rotates) `uids` in `tenant` (platform admins; others create in their own),
    /// `concurrency` requests at a time; `progress` is told after each. Throws the first failure.
    public static func logins(
        _ options: ServerOptions, tenant: String?, uids: [String], concurrency: Int = 16,
        progress: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws -> [String: Login] {
        let client = try APIClient.make(options)
        var result: [String: Login] = [:]
        var next = 0
        try await withThrowingTaskGroup(of: (String, Login).self) { group in
            func start() {
                guard next < uids.count else { return }
                let uid = uids[next]
                next += 1
                group.addTask { (uid, try await login(client, uid: uid, tenant: tenant)) }
            }
            for _ in 0..<max(1, concurrency) { start() }
            while let (uid, login) = try await group.next() {
                result[uid] = login
                progress(result.count)
                start()
            }
        }
        return result
    }

    private static func login(_ client: APIClient, uid: String, tenant: String?) async throws -> Login {
        var body: [String: Any] = ["uid": uid]
        if let tenant { body["tenant"] = tenant }
        var reply = try await client.raw(.POST, "/api/v1/devices", body: body)
        if reply.status == 409 {
            // There already: new credentials for it.
            let ref = tenant.map { "\(escaped(uid))?tenant=\(escaped($0))" } ?? escaped(uid)
            reply = try await client.raw(.POST, "/api/v1/devices/\(ref)/credentials")
        }
        if reply.status == 401, try await client.refresh() {
            return try await login(client, uid: uid, tenant: tenant)
        }
        guard (200..<300).contains(reply.status) else {
            throw APIClient.failure(reply, method: .POST, path: "/api/v1/devices (\(uid))")
        }
        let object = reply.object
        let credentials = (object["credentials"] as? [String: Any]) ?? object
        guard let username = credentials["mqtt_username"] as? String, let password = credentials["mqtt_password"] as? String
        else { throw CLIError.failure("the server's answer for \(uid) has no MQTT credentials") }
        var tenantName = object["tenant"] as? String ?? tenant
        if tenantName == nil {
            // Rotated: the answer has no device; its tenant is the caller's.
            tenantName = try await client.send(.GET, "/api/v1/devices/\(escaped(uid))").object["tenant"] as? String
        }
        return Login(username: username, password: password, tenant: tenantName ?? "t0")
    }
}
