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
