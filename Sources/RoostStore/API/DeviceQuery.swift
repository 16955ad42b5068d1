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
