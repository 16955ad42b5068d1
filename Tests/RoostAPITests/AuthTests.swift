import Foundation
import Testing

/// Logins, tokens, roles and personal keys over real HTTP, on both stores.
@Suite("API: auth and roles")
struct AuthTests {
    @Test("login, refresh rotates, logout revokes, wrong password is 401, /me", arguments: StoreKind.allCases)
    func tokens(_ kind: StoreKind) async throws {
        let server = try await APITestServer.start(kind)
        defer { Task { await server.stop() } }
        let anon = HTTP(port: server.httpPort)
        let bad = try await anon.post(
            "/api/v1/auth/login", ["email": APITestServer.adminEmail, "password": "nope-nope"])
        #expect(bad.status == 401 && bad.errorCode == "invalid_credentials")
        let login = try await anon.post(
            "/api/v1/auth/login", ["email": "ADMIN@test.io", "password": APITestServer.adminPassword])
        #expect(
            login.status == 200 && login.json["token_type"] as? String == "bearer"
                && login.json["expires_in"] as? Int == 900)
        let refresh = try #require(login.json["refresh_token"] as? String)
        let me = try await server.http(login.json["access_token"] as? String).get("/api/v1/me")
        #expect(me.json["email"] as? String == "admin@test.io" && me.json["role"] as? String == "platform_admin")
        // Refresh: a new pair; the old refresh token is spent.
        let second = try await anon.post("/api/v1/auth/refresh", ["refresh_token": refresh])
        #expect(second.status == 200)
        #expect(try await anon.post("/api/v1/auth/refresh", ["refresh_token": refresh]).status == 401)
        let newRefresh = try #require(second.json["refresh_token"] as? String)
        #expect(try await anon.post("/api/v1/auth/logout", ["refresh_token": newRefresh]).status == 204)
        #expect(try await anon.post("/api/v1/auth/refresh", ["refresh_token": newRefresh]).status == 401)
        // No token, a forged token, a malformed header.
        #expect(try await anon.get("/api/v1/me").status == 401)
        #expect(
            try await HTTP(port: server.httpPort, token: "eyJhbGciOiJIUzI1NiJ9.e30.x").get("/api/v1/me").errorCode
                == "invalid_token")
        #expect(try await anon.request("GET", "/api/v1/me", headers: ["Authorization": "Basic abc"]).status == 401)
    }

    @Test("login brute force: 429 with Retry-After per account")
    func rateLimit() async throws {
        let server = try await APITestServer.start(.sqlite)
        defer { Task { await server.stop() } }
        let anon = HTTP(port: server.httpPort)
        for _ in 0..<5 {
            #expect(
                try await anon.post(
                    "/api/v1/auth/login", ["email": APITestServer.adminEmail, "password": "wrong-pass"]
                ).status == 401)
        }
        let limited = try await anon.post(
            "/api/v1/auth/login", ["email": APITestServer.adminEmail, "password": APITestServer.adminPassword])
        #expect(limited.status == 429 && limited.errorCode == "rate_limited")
        #expect(Int(limited.headers["retry-after"] ?? "") ?? 0 > 0)
    }

    @Test(
        "roles: viewers read, operators cannot manage, tenant admins manage their tenant only",
        arguments: StoreKind.allCases)
    func roles(_ kind: StoreKind) async throws {
        let server = try await APITestServer.start(kind)
        defer { Task { await server.stop() } }
        let admin = server.http()
        let tenant = try await admin.post("/api/v1/tenants", ["name": "acme"])
        #expect(tenant.status == 201)
        let tenantID = try #require(tenant.json["id"] as? Int)
        #expect(try await admin.post("/api/v1/tenants", ["name": "acme"]).status == 409)
        #expect(try await admin.post("/api/v1/tenants", ["name": "a/b"]).status == 422)
        for (email, role) in [("boss@acme.io", "tenant_admin"), ("op@acme.io", "operator"), ("eye@acme.io", "viewer")] {
            let r = try await admin.post(
                "/api/v1/users", ["email": email, "password": "password-1", "role": role, "tenant_id": tenantID])
            #expect(r.status == 201, "\(r.text)")
        }
        let boss = server.http(try await server.login("boss@acme.io", "password-1"))
        let op = server.http(try await server.login("op@acme.io", "password-1"))
        let eye = server.http(try await server.login("eye@acme.io", "password-1"))
        // Devices: tenant admins create in their own tenant; others may not.
        let created = try await boss.post("/api/v1/devices", ["uid": "pump-1"])
        #expect(created.status == 201 && created.json["tenant"] as? String == "acme")
        #expect(try await op.post("/api/v1/devices", ["uid": "pump-2"]).status == 403)
        #expect(try await eye.post("/api/v1/devices", ["uid": "pump-2"]).status == 403)
        #expect(try await eye.get("/api/v1/devices").items.count == 1)
        #expect(try await eye.get("/api/v1/devices/pump-1").status == 200)
        // No escalation: a tenant admin cannot create a platform admin, a viewer cannot list users.
        #expect(
            try await boss.post(
                "/api/v1/users", ["email": "x@acme.io", "password": "password-1", "role": "platform_admin"]
            ).status == 403)
        #expect(try await eye.get("/api/v1/users").status == 403)
        #expect(try await boss.get("/api/v1/users").items.count == 3)
        #expect(try await boss.post("/api/v1/tenants", ["name": "mine"]).status == 403)
        // A user changes its own password; its role only an admin changes.
        let meID = try #require(try await eye.get("/api/v1/me").json["id"] as? Int)
        #expect(try await eye.patch("/api/v1/users/\(meID)", ["role": "tenant_admin"]).status == 403)
        #expect(try await eye.patch("/api/v1/users/\(meID)", ["password": "password-2"]).status == 200)
        #expect(try await server.login("eye@acme.io", "password-2").isEmpty == false)
        // Personal API key: works as a bearer token with at most the owner's role; revocable.
        let key = try await eye.post("/api/v1/me/api-keys", ["name": "script"])
        #expect(key.status == 201)
        let keyText = try #require(key.json["key"] as? String)
        let script = server.http(keyText)
        #expect(try await script.get("/api/v1/devices").items.count == 1)
        #expect(try await script.post("/api/v1/devices", ["uid": "x"]).status == 403)
        #expect(try await eye.post("/api/v1/me/api-keys", ["name": "up", "role": "tenant_admin"]).status == 403)
        #expect(try await eye.delete("/api/v1/me/api-keys/\(key.json["id"] as! Int)").status == 204)
        #expect(try await script.get("/api/v1/devices").status == 401)
        // A key never outranks its owner: demote the tenant admin, and its key is a viewer's.
        let bossKey = try #require(try await boss.post("/api/v1/me/api-keys", ["name": "ops"]).json["key"] as? String)
        #expect(try await server.http(bossKey).post("/api/v1/devices", ["uid": "by-key"]).status == 201)
        let bossID = try #require(try await boss.get("/api/v1/me").json["id"] as? Int)
        #expect(try await admin.patch("/api/v1/users/\(bossID)", ["role": "viewer"]).status == 200)
        #expect(try await server.http(bossKey).post("/api/v1/devices", ["uid": "by-key-2"]).status == 403)
        #expect(try await server.http(bossKey).get("/api/v1/devices/by-key").status == 200)
    }
}
