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
