import Foundation
public import Logging
import NIOConcurrencyHelpers
public import RoostJSON
public import RoostStore
public import ServiceLifecycle

/// Commands from request to answer. A command is stored `queued`; it is sent (QoS 1, on the
/// device's downlink) at once when the device listens, else when it next connects or
/// subscribes, even after a restart, since the queue is the store. The PUBACK makes it
/// `delivered`, the device's answer `succeeded` or `failed`, its timeout `expired`. Every step
/// is a conditional update in the store, so a late answer, the expiry and a second node never
/// both move one command; each step is pushed to realtime sockets.
public final class CommandService: Service, Sendable {
    let store: any CommandStore
    let transport: any CommandTransport
    let layout: TopicLayout
    let bus: any RealtimeBus
    let clock: any EpochClock
    let logger: Logger
    /// Limits and the expiry sweep.
    public let settings: CommandSettings
    /// Counters for `/metrics`.
    public let counters = CommandCounters()
    /// Devices (nil: every device) being dispatched now, with whether another round was asked.
    let dispatching = NIOLockedValueBox<[DeviceKey?: Bool]>([:])
    /// Commands this node published (`sent`) that no PUBACK or answer has moved on yet, with
    /// their device: requeued when the device's clean session ends with them in flight.
    let undelivered = NIOLockedValueBox<[String: DeviceKey]>([:])

    public init(
        store: any CommandStore, transport: any CommandTransport, layout: TopicLayout, bus: any RealtimeBus,
        settings: CommandSettings = .init(), clock: any EpochClock = SystemEpochClock(),
        logger: Logger = Logger(label: "roost.commands")
    ) {
        self.store = store
        self.transport = transport
        self.layout = layout
        self.bus = bus
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    // MARK: Requests

    /// Stores a command for `device` and sends it when the device listens. `params` must be a
    /// JSON object; `timeout` is in seconds (the configured default when nil).
    public func submit(
        to device: DeviceRecord, command: String, params: JSONValue?, timeout: Int64?, by: String?
    ) async throws -> CommandRecord {
        guard !command.isEmpty, command.utf8.count <= 128 else {
            throw CommandError(field: "command", "command must be 1 to 128 bytes")
        }
        let params = params ?? .object([])
        guard case .object = params else { throw CommandError(field: "params", "params must be a JSON object") }
        let text = params.jsonText
        guard text.utf8.count <= settings.maxParamsBytes else {
            throw CommandError(field: "params", "params are over \(settings.maxParamsBytes) bytes")
        }
        let seconds = timeout ?? settings.defaultTimeout
        guard (1...settings.maxTimeout).contains(seconds) else {
            throw CommandError(field: "timeout_s", "timeout_s must be 1 to \(settings.maxTimeout) seconds")
        }
        let now = clock.nowMilliseconds()
        let record = try await store.createCommand(
            NewCommand(
                id: UUID().uuidString.lowercased(), deviceID: device.id, command: command, params: text, createdBy: by,
                createdAt: now, expiresAt: now + seconds * 1000),
            maxQueued: settings.maxQueuedPerDevice)
        changed(record)
        guard await route(for: record) != nil else { return record }
        return try await send(record)
    }

    /// Cancels a queued command; nil when it is unknown or no longer queued.
    public func cancel(id: String) async throws -> CommandRecord? {
        let record = try await store.transitionCommand(
            CommandTransition(id: id, from: [.queued], to: .cancelled, at: clock.nowMilliseconds()))
        if let record { changed(record) }
        return record
    }

    // MARK: Sending

    /// Sends the queued commands of `device` (of every device when nil) whose device listens
    /// now, oldest first. Calls while a round runs for the same device ask for one more round,
    /// so that the connect and the subscribe of one device send its queue once, in order.
    public func dispatch(_ device: DeviceKey?) {
        let start = dispatching.withLockedValue { running -> Bool in
            if running[device] != nil {
                running[device] = true
                return false
            }
            running[device] = false
            return true
        }
        guard start else { return }
        Task { await self.dispatchRounds(device) }
    }

    private func dispatchRounds(_ device: DeviceKey?) async {
        repeat {
            do {
                // `send` claims each only when its device listens.
                for command in try await store.queuedCommands(device: device, limit: 1000) {
                    _ = try await send(command)
                }
            } catch {
                logger.warning("sending queued commands failed: \(error)", metadata: ["device": "\(device as Any)"])
            }
        } while dispatching.withLockedValue({ running -> Bool in
            if running[device] == true {
                running[device] = false
                return true
            }
            running[device] = nil
            return false
        })
    }

    /// The downlink on which the device of `command` listens now, with its ack topic.
    func route(for command: CommandRecord) async -> (topic: String, ack: String?)? {
        for route in layout.commandRoutes(tenant: command.tenant) {
            let topic = route.commands.topic(tenant: command.tenant, device: command.uid)
            if await transport.isListening(topic, for: command) {
                return (topic, route.ack?.topic(tenant: command.tenant, device: command.uid))
            }
        }
        return nil
    }

    /// Claims a queued command (`sent`) and publishes it; returns it as it is now.
    func send(_ command: CommandRecord) async throws -> CommandRecord {
        guard let (topic, ack) = await route(for: command) else { return command }
        guard
            let claimed = try await store.transitionCommand(
                CommandTransition(id: command.id, from: [.queued], to: .sent, at: clock.nowMilliseconds()))
        else {
            // Another round or node sent it, or it was cancelled meanwhile.
            return try await store.command(id: command.id) ?? command
        }
        changed(claimed)
        let published = transport.publish(
            OutgoingCommand(
                topic: topic, payload: CommandJSON.payload(claimed), responseTopic: ack, correlation: claimed.id,
                receipt: CommandReceipt(id: claimed.id)))
        if published { return claimed }
        logger.warning("the broker refused a command", metadata: ["command": "\(claimed.id)", "topic": "\(topic)"])
        let failed = try await store.transitionCommand(
            CommandTransition(
                id: claimed.id, from: [.sent], to: .failed, at: clock.nowMilliseconds(),
                result: JSONValue.object([JSONMember("error", .string("the broker refused the message"))]).jsonText))
        if let failed { changed(failed) }
        return failed ?? claimed
    }

    // MARK: What devices report

    /// The device's client acknowledged the message of command `id` (PUBACK).
    public func delivered(_ id: String) async {
        await step(CommandTransition(id: id, from: [.sent], to: .delivered, at: clock.nowMilliseconds()))
    }

    /// An answer from `device`; ignored (and counted) when it names an unknown command, one of
    /// another device, or one already finished.
    public func acknowledged(_ ack: CommandAck, from device: DeviceKey) async {
        do {
            guard let command = try await store.command(id: ack.id), command.tenant == device.tenant,
                command.uid == device.uid,
                let done = try await store.transitionCommand(
                    CommandTransition(
                        id: ack.id, from: [.sent, .delivered], to: ack.succeeded ? .succeeded : .failed,
                        at: clock.nowMilliseconds(), result: ack.result?.jsonText))
            else {
                counters.ignoredAcks.add(1, ordering: .relaxed)
                logger.debug("ignored a command answer", metadata: ["command": "\(ack.id)", "device": "\(device)"])
                return
            }
            changed(done)
        } catch {
            logger.warning("recording a command answer failed: \(error)", metadata: ["command": "\(ack.id)"])
        }
    }

    private func step(_ transition: CommandTransition) async {
        do {
            if let record = try await store.transitionCommand(transition) { changed(record) }
        } catch {
            logger.warning("recording a command step failed: \(error)", metadata: ["command": "\(transition.id)"])
        }
    }

    // MARK: Expiry

    /// Expires the commands whose timeout has passed; returns how many.
    @discardableResult
    public func expireDue() async throws -> Int {
        var total = 0
        while true {
            let expired = try await store.expireCommands(now: clock.nowMilliseconds(), limit: 500)
            for record in expired { changed(record) }
            total += expired.count
            if expired.count < 500 { return total }
        }
    }

    /// Sweeps for expired commands until shutdown.
    public func run() async throws {
        let interval = Duration.milliseconds(Int64(max(0.01, settings.sweepInterval) * 1000))
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await expireDue()
            } catch {
                logger.warning("expiring commands failed, retrying: \(error)")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Puts back in the queue the commands sent to `device` that it never acknowledged: its
    /// clean session ended, and the broker dropped them with it. They are sent again when it
    /// next connects and subscribes (at least once, as QoS 1 promises).
    public func requeueUndelivered(_ device: DeviceKey) async {
        let ids = undelivered.withLockedValue { map in map.filter { $0.value == device }.map(\.key) }
        for id in ids {
            await step(CommandTransition(id: id, from: [.sent], to: .queued, at: clock.nowMilliseconds()))
        }
        if !ids.isEmpty {
            logger.info("requeued commands lost with a clean session", metadata: ["device": "\(device)", "count": "\(ids.count)"])
            // It may be back already (a reconnect raced the requeue): send to it now if it listens.
            dispatch(device)
        }
    }

    /// Counts a step and pushes it to the sockets that watch the device's commands.
    func changed(_ record: CommandRecord) {
        undelivered.withLockedValue { map in
            if record.status == .sent {
                map[record.id] = DeviceKey(tenant: record.tenant, uid: record.uid)
            } else {
                map[record.id] = nil
            }
        }
        counters.count(record.status)
        guard bus.interest.takes(.command, device: record.deviceID, tenant: record.tenant) else { return }
        bus.publish([CommandJSON.event(record)])
    }
}

/// A command request the service refuses (422), naming the field at fault.
public struct CommandError: Error, Sendable, Hashable {
    public var field: String
    public var message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}
