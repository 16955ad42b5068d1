import Foundation
public import MQTTHooks
import NIOConcurrencyHelpers

/// An ACL file that can be read again while the broker runs (`roost serve` on SIGHUP): the new
/// rules apply to the next publish and subscribe at once, and ``Broker/recheckSubscriptions()``
/// drops the subscriptions they no longer allow. A file that does not parse leaves the old
/// rules in place.
public final class ReloadableACLFile: MQTTAuthorizer {
    /// The file's path.
    public let path: String
    private let current: NIOLockedValueBox<ACLFile>

    /// Reads and parses `path`.
    public init(path: String) throws {
        self.path = path
        current = NIOLockedValueBox(try Self.read(path))
    }

    /// Reads the file again; throws (keeping the old rules) when it cannot be read or parsed.
    public func reload() throws {
        let fresh = try Self.read(path)
        current.withLockedValue { $0 = fresh }
    }

    public func authorize(_ client: ClientInfo, _ action: AuthorizationAction, topic: String) -> AuthorizationResult {
        current.withLockedValue { $0 }.authorize(client, action, topic: topic)
    }

    private static func read(_ path: String) throws -> ACLFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ACLFile.ParseError(line: 0, message: "cannot read \(path): \(error.localizedDescription)")
        }
        return try ACLFile(contents: text)
    }
}
