import MQTTCore

/// A topic resolved against a template.
public struct TopicMatch: Sendable, Hashable {
    public let template: TopicTemplate
    /// The tenant's name as it appears in topics.
    public let tenant: String
    /// The device uid.
    public let device: String
    /// The feed key, for `{feed}` templates.
    public let feed: String?

    public var kind: TopicKind { template.kind }
}
