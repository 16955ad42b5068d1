/// Errors a store reports in terms the API maps to status codes.
public enum StoreError: Error, Sendable, Hashable {
    /// A unique value is taken (409).
    case conflict(String)
    /// A referenced row does not exist (404 / 422).
    case notFound(String)
    /// A configured limit would be passed (429), e.g. queued commands per device.
    case limitReached(String)
}
