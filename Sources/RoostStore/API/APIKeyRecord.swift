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
