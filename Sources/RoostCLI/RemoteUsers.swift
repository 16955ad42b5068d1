import Foundation

/// `roost user create|list --server`: accounts on a running server, through its API, as the
/// logged-in account (a tenant admin within its tenant, a platform admin anywhere).
public enum RemoteUsers {
    /// Creates a user; `tenant` is a tenant's name (created when missing, for a platform admin).
    public static func create(
        server: ServerOptions, email: String, role: String, tenant: String?, name: String, password: String
    ) async throws {
        try await reporting {
            let client = try APIClient.make(server)
            var body: [String: Any] = ["email": email, "password": password, "role": role, "name": name]
            if let tenant {
                let tenants = try await client.send(.GET, "/api/v1/tenants").object["items"] as? [[String: Any]] ?? []
                if let id = tenants.first(where: { $0["name"] as? String == tenant })?["id"] {
                    body["tenant_id"] = id
                } else {
                    let created = try await client.send(.POST, "/api/v1/tenants", body: ["name": tenant])
                    body["tenant_id"] = created.object["id"]
                }
            }
            let user = try await client.send(.POST, "/api/v1/users", body: body).object
            print("created \(user["email"] ?? email) (\(user["role"] ?? role)), id \(user["id"] ?? "?")")
        }
    }

    /// Sets the password of the user `email` (the server revokes that user's refresh tokens).
    public static func password(server: ServerOptions, email: String, password: String) async throws {
        try await reporting {
            let client = try APIClient.make(server)
            let users = try await client.send(.GET, "/api/v1/users").object["items"] as? [[String: Any]] ?? []
            guard let id = users.first(where: { ($0["email"] as? String)?.lowercased() == email.lowercased() })?["id"]
            else { throw CLIError.notFound("no user \(email) that this account may see") }
            _ = try await client.send(.PATCH, "/api/v1/users/\(id)", body: ["password": password])
            print("password of \(email.lowercased()) changed; its refresh tokens are revoked")
        }
    }

    /// Lists the users the account may see: id, email, role, tenant id.
    public static func list(server: ServerOptions) async throws {
        try await reporting {
            let reply = try await APIClient.make(server).send(.GET, "/api/v1/users")
            let users = reply.object["items"] as? [[String: Any]] ?? []
            for u in users {
                let tenant = (u["tenant_id"] as? Int).map(String.init) ?? "-"
                print("\(u["id"] ?? "?")\t\(u["email"] ?? "?")\t\(u["role"] ?? "?")\t\(tenant)")
            }
        }
    }
}
