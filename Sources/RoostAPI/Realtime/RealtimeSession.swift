import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import RoostCore
import RoostJSON
import RoostStore
import ServiceLifecycle
import Synchronization

/// One realtime WebSocket (`/api/v1/realtime`, or `/api/v1/realtime/devices/{ref}` for one
/// device): authenticates the caller, answers its messages, and writes the events its
/// subscriptions take from the bus, through a bounded outbox.
///
/// Close codes: 4401 authentication (missing, invalid or expired token; also when the token
/// expires while connected), 4403 a device the caller may not see on the one-device path,
/// 4408 the reader stayed behind longer than `maxLag`, 1001 server shutting down.
struct RealtimeSession {
    let api: RoostAPI
    let bus: any RealtimeBus
    let configuration: RealtimeConfiguration
    let logger: Logger
    /// The token from `?token=` or the `Authorization` header, if the request had one.
    let token: String?
    /// The device ref of `/api/v1/realtime/devices/{ref}`.
    let deviceRef: String?
    /// When the upgrade was accepted (the 101 is written right after).
    let acceptedAt = ContinuousClock.now

    /// How long after the 101 a refusal waits before closing. swift-websocket's client
    /// (1.6, `WebSocketClient`, used by RoostClient and `roost tail`) loses a close frame and
    /// the end of the stream that arrive while it is still installing its WebSocket handlers:
    /// it then waits forever instead of learning 4401/4403 (seen under load: 40 of 150 refusals
    /// sent at once were lost, none with a 50 ms wait). Browsers are not affected.
    static let refusalGrace = Duration.milliseconds(250)

    static let openSockets = Mutex(0)

    /// Serves one socket. Events are written straight to `channel` (see
    /// ``RealtimeSocketWriter``), which is closed outright when the reader stalls so long that
    /// even the close frame could not be written (see ``watchdog(_:_:)``).
    func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel) async {
        let open = Self.openSockets.withLock { n in
            n += 1
            return n
        }
        RealtimeMetrics.sockets.record(open)
        defer { RealtimeMetrics.sockets.record(Self.openSockets.withLock { n in n -= 1; return n }) }
        var messages = inbound.messages(maxSize: configuration.maxMessageSize).makeAsyncIterator()
        guard let identity = await authenticate(&messages, outbound) else { return }
        let outbox = RealtimeOutbox(capacity: configuration.socketBuffer)
        var state = RealtimeSubscriptions(api: api, identity: identity)
        defer {
            bus.detach(outbox)
            outbox.close()
        }
        outbox.send(
            "{\"type\":\"ready\",\"role\":\"\(identity.role.rawValue)\",\"tenant_id\":"
                + (identity.tenantID.map(String.init) ?? "null") + "}")
        if let deviceRef {
            do {
                let answer = try await state.subscribe(RealtimeRequest.Subscribe(devices: [deviceRef]))
                bus.attach(outbox, filter: state.filter)
                outbox.send(answer)
            } catch {
                let reason = (error as? APIError)?.message ?? "device \(deviceRef) not found"
                await refuse(4403, reason, &messages, outbound)
                return
            }
        }
        let writer = RealtimeSocketWriter(
            channel: channel, outbound: outbound, outbox: outbox, maxLag: configuration.maxLag, logger: logger)
        writer.start()
        // No task of its own for any of these: an idle socket holds a scheduled timer or two
        // on its event loop and a shutdown handler, not three suspended tasks.
        let watchdog = watchdog(outbox, channel)
        var expiry: Scheduled<Void>?
        if let expiresAt = identity.expiresAt {
            // The token expires while connected: the client refreshes and reconnects.
            expiry = channel.eventLoop.scheduleTask(in: .milliseconds(max(0, expiresAt - SystemEpochClock.now()))) {
                Task { await writer.close(.unknown(4401), reason: "token expired: refresh it and reconnect") }
            }
        }
        defer {
            watchdog.cancel()
            expiry?.cancel()
        }
        // Until the client closes (or a close ends its stream). The server stopping tells the
        // client (1001), which then reconnects elsewhere.
        await withGracefulShutdownHandler {
            await readLoop(&messages, outbox, &state)
        } onGracefulShutdown: {
            Task { await writer.close(.goingAway, reason: "server shutting down") }
        }
    }

    /// The caller: from the URL or header token, else from a first `{"type":"auth","token"}`
    /// message within `authTimeout`. Closes with 4401 and returns nil when there is none.
    private func authenticate(
        _ messages: inout WebSocketInboundMessageStream.AsyncIterator, _ outbound: WebSocketOutboundWriter
    ) async -> Identity? {
        var presented = token
        if presented == nil {
            let timeout = configuration.authTimeout
            let timer = Task {
                try await Task.sleep(for: timeout)
                try? await outbound.close(.unknown(4401), reason: "no authentication within \(timeout)")
            }
            defer { timer.cancel() }
            guard case .text(let text)? = try? await messages.next(),
                case .auth(let t)? = try? RealtimeRequest.parse(text)
            else {
                await refuse(
                    4401, "authenticate first: ?token=, a bearer header or {\"type\":\"auth\",\"token\"}", &messages,
                    outbound)
                return nil
            }
            presented = t
        }
        guard let presented, let identity = await api.identity(forToken: presented) else {
            await refuse(4401, "the token is invalid or expired; refresh it or log in", &messages, outbound)
            return nil
        }
        return identity
    }

    /// Closes with `code`, at least ``refusalGrace`` after the upgrade, and reads on until the
    /// client's close reply ends the stream: returning at once would let the server close the
    /// connection with the close frame still queued, and the client would see the connection
    /// drop without learning why.
    private func refuse(
        _ code: UInt16, _ reason: String, _ messages: inout WebSocketInboundMessageStream.AsyncIterator,
        _ outbound: WebSocketOutboundWriter
    ) async {
        let wait = Self.refusalGrace - (ContinuousClock.now - acceptedAt)
        if wait > .zero { try? await Task.sleep(for: wait) }
        try? await outbound.close(.unknown(code), reason: reason)
        while (try? await messages.next()) != nil {}
    }

    /// Answers the client's messages until it closes the socket.
    private func readLoop(
        _ messages: inout WebSocketInboundMessageStream.AsyncIterator, _ outbox: RealtimeOutbox,
        _ state: inout RealtimeSubscriptions
    ) async {
        while let message = try? await messages.next() {
            guard case .text(let text) = message else {
                outbox.send(RealtimeRequest.error("bad_request", "send JSON text messages"))
                continue
            }
            let request: RealtimeRequest
            do {
                request = try RealtimeRequest.parse(text)
            } catch {
                outbox.send(RealtimeRequest.error("bad_request", "\(error)"))
                continue
            }
            do {
                switch request {
                case .auth:
                    outbox.send(RealtimeRequest.error("bad_request", "already authenticated"))
                case .ping(let id):
                    outbox.send("{\"type\":\"pong\"" + RealtimeRequest.idField(id) + "}")
                case .subscribe(let subscribe):
                    let answer = try await state.subscribe(subscribe)
                    bus.attach(outbox, filter: state.filter)
                    outbox.send(answer)
                case .unsubscribe(let unsubscribe):
                    let answer = try await state.unsubscribe(unsubscribe)
                    bus.attach(outbox, filter: state.filter)
                    outbox.send(answer)
                }
            } catch let error as APIError {
                outbox.send(RealtimeRequest.error(error.code, error.message))
            } catch {
                logger.error("realtime request failed: \(error)")
                outbox.send(RealtimeRequest.error("internal", "the request failed; see the server log"))
            }
        }
    }

    /// A reader that stops reading altogether fills the kernel's buffers, and then the writer
    /// waits inside a write and never gets to its own 4408: when events have waited untaken
    /// for longer than `maxLag`, the connection is closed outright. A repeated timer on the
    /// socket's event loop, checked every quarter of `maxLag` (at least 100 ms).
    private func watchdog(_ outbox: RealtimeOutbox, _ channel: any Channel) -> RepeatedTask {
        let maxLag = configuration.maxLag
        let lag = maxLag.components
        let period = TimeAmount.milliseconds(max(100, (lag.seconds * 1000 + lag.attoseconds / 1_000_000_000_000_000) / 4))
        let logger = self.logger
        return channel.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { task in
            guard outbox.waiting(longerThan: maxLag) else { return }
            task.cancel()
            RealtimeMetrics.closedSlow.increment()
            logger.notice("realtime socket closed: its reader stopped reading for over \(maxLag)")
            channel.close(promise: nil)
        }
    }
}

/// Limits of realtime sockets (`realtime.*` settings).
public struct RealtimeConfiguration: Sendable {
    /// Events a socket may have queued before the oldest are dropped.
    public var socketBuffer = 1000
    /// How long a socket may keep dropping events before it is closed (4408).
    public var maxLag: Duration = .seconds(10)
    /// How long a socket without a token in its URL has to send `{"type":"auth"}`.
    public var authTimeout: Duration = .seconds(10)
    /// Largest message a client may send, in bytes.
    public var maxMessageSize = 64 * 1024

    public init() {}
}
