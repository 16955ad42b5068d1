import MQTTCore

/// A template that cannot be used.
public struct TopicTemplateError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
