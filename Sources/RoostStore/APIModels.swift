/// What a user may do. Platform admins act on every tenant; the others on their own tenant.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
    /// Every tenant, every user.
    case platformAdmin = "platform_admin"
    /// Users and devices of one tenant.
    case tenantAdmin = "tenant_admin"
    /// Reads a tenant, sends commands.
    case `operator`
    /// Reads a tenant.
    case viewer

    /// `true` when this role includes everything `other` may do.
    public func includes(_ other: Role) -> Bool { rank >= other.rank }

    private var rank: Int {
        switch self {
        case .platformAdmin: 3
        case .tenantAdmin: 2
        case .operator: 1
        case .viewer: 0
        }
    }
}

/// A tenant: the name devices use in their topics.
public struct TenantRecord: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var createdAt: Int64

    public init(id: Int64, name: String, createdAt: Int64) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }
}

/// A person who logs in to the API and the dashboard.
public struct UserRecord: Sendable, Hashable {
    public var id: Int64
    /// Lower-cased; unique.
    public var email: String
    public var name: String
    public var role: Role
    /// `nil` for platform admins.
    public var tenantID: Int64?
    /// bcrypt.
    public var passwordHash: String
    public var createdAt: Int64

    public init(
        id: Int64, email: String, name: String, role: Role, tenantID: Int64?, passwordHash: String, createdAt: Int64
    ) {
        self.id = id
        self.email = email
        self.name = name
        self.role = role
        self.tenantID = tenantID
        self.passwordHash = passwordHash
        self.createdAt = createdAt
    }
}

/// A personal API key for scripts: the key itself is shown once, only its salted hash is kept.
public struct APIKeyRecord: Sendable, Hashable {
    public var id: Int64
    /// The key's first characters, to find its row.
    public var prefix: String
    public var name: String
    public var userID: Int64
    public var tenantID: Int64?
    public var role: Role
    public var secret: SecretHash
    public var createdAt: Int64

    public init(
        id: Int64, prefix: String, name: String, userID: Int64, tenantID: Int64?, role: Role, secret: SecretHash,
        createdAt: Int64
    ) {
        self.id = id
        self.prefix = prefix
        self.name = name
        self.userID = userID
        self.tenantID = tenantID
        self.role = role
        self.secret = secret
        self.createdAt = createdAt
    }
}

/// A device with its state, as the API shows it.
public struct DeviceRecord: Sendable, Hashable {
    public var id: Int64
    public var tenantID: Int64
    public var tenant: String
    public var uid: String
    public var name: String?
    /// A JSON object of string values.
    public var labels: String
    /// `online`, `offline` or `unknown`.
    public var status: String
    public var statusAt: Int64?
    public var lastSeen: Int64?
    /// The newest value of every key, as a JSON object.
    public var latest: String
    public var latestTS: Int64?
    public var createdAt: Int64

    public init(
        id: Int64, tenantID: Int64, tenant: String, uid: String, name: String?, labels: String, status: String,
        statusAt: Int64?,
        lastSeen: Int64?, latest: String, latestTS: Int64?, createdAt: Int64
    ) {
        self.id = id
        self.tenantID = tenantID
        self.tenant = tenant
        self.uid = uid
        self.name = name
        self.labels = labels
        self.status = status
        self.statusAt = statusAt
        self.lastSeen = lastSeen
        self.latest = latest
        self.latestTS = latestTS
        self.createdAt = createdAt
    }
}

/// Which devices a list returns: every filter is optional; `tenantID` nil means all tenants.
public struct DeviceQuery: Sendable {
    public var tenantID: Int64?
    public var label: (key: String, value: String)?
    public var status: String?
    /// Substring of uid or name, case-insensitive.
    public var search: String?
    /// Exactly this uid.
    public var uid: String?

    /// `search` as a LIKE pattern (`%…%`, with `\`, `%` and `_` escaped by `\`), nil when
    /// there is no search.
    public var searchPattern: String? {
        guard let search, !search.isEmpty else { return nil }
        let escaped = search.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
        return "%" + escaped + "%"
    }

    public var limit: Int
    /// Devices with ids above this one (the previous page's last id): keyset paging.
    public var afterID: Int64

    public init(
        tenantID: Int64? = nil, label: (key: String, value: String)? = nil, status: String? = nil,
        search: String? = nil, limit: Int = 100,
        afterID: Int64 = 0
    ) {
        self.tenantID = tenantID
        self.label = label
        self.status = status
        self.search = search
        self.limit = limit
        self.afterID = afterID
    }
}

/// One stored telemetry message.
public struct TelemetryPoint: Sendable, Hashable {
    /// Row id: with `ts`, the cursor of history pages.
    public var id: Int64
    public var ts: Int64
    public var receivedAt: Int64
    public var msgID: String?
    /// Flattened leaves, a JSON object.
    public var data: String
    /// The raw payload, when kept.
    public var payload: String?

    public init(id: Int64, ts: Int64, receivedAt: Int64, msgID: String?, data: String, payload: String?) {
        self.id = id
        self.ts = ts
        self.receivedAt = receivedAt
        self.msgID = msgID
        self.data = data
        self.payload = payload
    }
}

/// A page of one device's history: `[from, to)` in epoch ms, newest first unless `ascending`,
/// continuing after the `(ts, id)` of the previous page's last point.
public struct HistoryQuery: Sendable, Hashable {
    public var device: Int64
    public var from: Int64?
    public var to: Int64?
    public var limit: Int
    public var ascending: Bool
    public var afterTS: Int64?
    public var afterID: Int64?
    /// Whether points carry the raw payload (read only when asked: it doubles the bytes read).
    public var includePayload = false

    public init(
        device: Int64, from: Int64? = nil, to: Int64? = nil, limit: Int = 1000, ascending: Bool = false,
        afterTS: Int64? = nil,
        afterID: Int64? = nil
    ) {
        self.device = device
        self.from = from
        self.to = to
        self.limit = limit
        self.ascending = ascending
        self.afterTS = afterTS
        self.afterID = afterID
    }
}

/// Functions an aggregate computes per bucket and key.
public enum AggregateFunction: String, Sendable, Hashable, CaseIterable, Codable {
    case avg, min, max, count, sum, first, last
}

/// Numeric keys of one device over `[from, to)`, in buckets of `bucket` ms aligned to the epoch
/// (a bucket starts at a multiple of `bucket`; the first and last may be cut by `from` and `to`).
public struct AggregateQuery: Sendable, Hashable {
    public var device: Int64
    public var keys: [String]
    public var from: Int64
    public var to: Int64
    public var bucket: Int64
    public var functions: [AggregateFunction]

    public init(device: Int64, keys: [String], from: Int64, to: Int64, bucket: Int64, functions: [AggregateFunction]) {
        self.device = device
        self.keys = keys
        self.from = from
        self.to = to
        self.bucket = bucket
        self.functions = functions
    }
}

/// One bucket of an aggregate: per key, per function, the value (absent when the bucket holds
/// no numeric value of that key).
public struct AggregateBucket: Sendable, Hashable {
    public var start: Int64
    public var values: [String: [AggregateFunction: Double]]

    public init(start: Int64, values: [String: [AggregateFunction: Double]]) {
        self.start = start
        self.values = values
    }
}

/// One online/offline transition of a device.
public struct StatusEvent: Sendable, Hashable {
    public var id: Int64
    public var online: Bool
    public var at: Int64
    public var reason: String
    public var document: String?

    public init(id: Int64, online: Bool, at: Int64, reason: String, document: String?) {
        self.id = id
        self.online = online
        self.at = at
        self.reason = reason
        self.document = document
    }
}

/// A stored message the ingest refused, with why.
public struct DeadLetter: Sendable, Hashable {
    public var id: Int64
    public var topic: String
    public var receivedAt: Int64
    public var reason: String
    public var detail: String
    public var payload: [UInt8]

    public init(id: Int64, topic: String, receivedAt: Int64, reason: String, detail: String, payload: [UInt8]) {
        self.id = id
        self.topic = topic
        self.receivedAt = receivedAt
        self.reason = reason
        self.detail = detail
        self.payload = payload
    }
}

/// Errors a store reports in terms the API maps to status codes.
public enum StoreError: Error, Sendable, Hashable {
    /// A unique value is taken (409).
    case conflict(String)
    /// A referenced row does not exist (404 / 422).
    case notFound(String)
}
