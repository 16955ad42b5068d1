import Foundation
public import Logging
public import MQTTBroker
import NIOCore
import NIOSSL
public import RoostAPI
public import RoostCore
public import ServiceLifecycle

/// A Roost server, assembled: stores, ingest, broker, listeners and HTTP servers, each a
/// service of one ``serviceGroup``. `roost serve` and every test server are built by
/// ``buildApplication(_:logger:)``, so they are the same server.
public struct RoostApplication: Sendable {
    /// Runs every part; shuts them down in reverse order (HTTP and listeners first, then the
    /// broker disconnects clients, then ingest commits what is queued, then the stores close).
    public let serviceGroup: ServiceGroup
    public let configuration: RoostConfiguration
    public let stores: RoostStores
    public let broker: Broker
    public let ingest: IngestPipeline
    public let api: RoostAPI
    /// The first admin's email and generated password, when this start created it with one.
    public let generatedAdmin: (email: String, password: String)?
    /// Nil behind an external broker unless its listener was kept (`--mqtt-listener`).
    let mqttListener: MQTTListener?
    let mqttsListener: MQTTListener?
    let http: BoundPort
    let https: BoundPort?
    /// The ACL file, when one is configured.
    let acl: ReloadableACLFile?

    /// Runs until graceful shutdown (a configured signal, or ``shutdown()``) or a failure;
    /// a part that fails (say a port is taken) shuts the others down and its error is thrown.
    public func run() async throws {
        defer {
            http.set(nil)
            https?.set(nil)
        }
        try await serviceGroup.run()
    }

    /// Reads the ACL file again (`roost serve` does on SIGHUP) and drops the subscriptions of
    /// connected clients it no longer allows; returns how many. A file that does not parse
    /// keeps the old rules, and the error is thrown.
    @discardableResult
    public func reloadACL() async throws -> Int {
        guard let acl else { throw SettingsError("no ACL file is configured (--acl-file)") }
        try acl.reload()
        return await broker.recheckSubscriptions()
    }

    /// Begins a graceful shutdown; ``run()`` returns when it is done.
    public func shutdown() async { await serviceGroup.triggerGracefulShutdown() }

    /// The MQTT TCP port, once listening.
    public func mqttPort() async throws -> Int {
        guard let mqttListener else {
            throw SettingsError("no MQTT listener: devices connect to the external broker (--broker; --mqtt-listener keeps one)")
        }
        return try await Self.port(of: mqttListener)
    }

    /// The MQTT over TLS port, once listening; nil without TLS.
    public func mqttsPort() async throws -> Int? {
        guard let mqttsListener else { return nil }
        return try await Self.port(of: mqttsListener)
    }

    /// The HTTP port, once listening.
    public func httpPort() async throws -> Int {
        guard let port = await http.value else { throw SettingsError("the HTTP server stopped before it listened") }
        return port
    }

    /// The HTTPS port, once listening; nil without TLS.
    public func httpsPort() async throws -> Int? {
        guard let https else { return nil }
        guard let port = await https.value else { throw SettingsError("the HTTPS server stopped before it listened") }
        return port
    }

    private static func port(of listener: MQTTListener) async throws -> Int {
        guard let port = try await listener.localAddress().port else {
            throw SettingsError("the MQTT listener has no port")
        }
        return port
    }
}

/// Builds the server `configuration` describes: opens (and migrates) the database, creates
/// the first admin on an empty store, and wires every part into one service group. Nothing
/// listens until ``RoostApplication/run()``. On an error the stores are closed again.
public func buildApplication(_ configuration: RoostConfiguration, logger: Logger) async throws
    -> RoostApplication
{
    RoostMetrics.bootstrap()
    let location = try configuration.databaseLocation
    // SQLite's file and the generated JWT key live here.
    try FileManager.default.createDirectory(atPath: configuration.dataDir, withIntermediateDirectories: true)
    var storeLogger = Logger(label: "roost.store")
    storeLogger.logLevel = logger.logLevel
    let stores = try await RoostStores.open(
        location, connectTimeout: configuration.databaseConnectTimeout, logger: storeLogger)
    do {
        return try await RoostAssembly(configuration: configuration, stores: stores, logger: logger).build()
    } catch {
        await stores.close()
        throw error
    }
}
