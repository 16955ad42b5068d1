import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// Writes a realtime socket's outbox as WebSocket text frames, on the socket's event loop.
///
/// A message queued on the publisher's thread schedules one drain on the loop (however many
/// arrive before it runs); the drain writes everything queued with one flush. While a drain's
/// frames are still on their way to the kernel the next waits for them: that is the socket's
/// backpressure, and meanwhile the outbox gathers and, past its capacity, drops the oldest
/// events, which the next drain announces with `{"type":"lagged","dropped":N}`. A socket
/// that keeps dropping for longer than `maxLag` is closed (4408).
///
/// Hummingbird's `WebSocketOutboundWriter` writes one frame per call, each through an async
/// writer, a task hop to the loop and back, and a flush of its own; with 100 sockets each
/// receiving 1,000 events a second that was most of the server's CPU. Writing to the channel
/// bypasses WebSocket extensions, which realtime sockets do not negotiate. Closes go through
/// ``close(_:reason:)``, after which no event frame is written.
final class RealtimeSocketWriter: Sendable {
    private struct LoopState {
        /// A drain's last frame has not reached the kernel yet.
        var inFlight = false
        /// Since when drains have had to drop events.
        var behindSince: ContinuousClock.Instant?
    }

    private let channel: any Channel
    private let outbound: WebSocketOutboundWriter
    private let outbox: RealtimeOutbox
    private let maxLag: Duration
    private let logger: Logger
    private let closing = Atomic(false)
    private let scheduled = Atomic(false)
    private let loop: NIOLoopBoundBox<LoopState>

    init(
        channel: any Channel, outbound: WebSocketOutboundWriter, outbox: RealtimeOutbox, maxLag: Duration,
        logger: Logger
    ) {
        self.channel = channel
        self.outbound = outbound
        self.outbox = outbox
        self.maxLag = maxLag
        self.logger = logger
        self.loop = NIOLoopBoundBox.makeBoxSendingValue(LoopState(), eventLoop: channel.eventLoop)
    }

    /// Starts writing what the outbox queues (until the outbox is closed).
    func start() {
        outbox.setWake { [self] in schedule() }
        schedule()
    }

    /// Sends the close frame; nothing queued after this is written.
    func close(_ code: WebSocketErrorCode, reason: String) async {
        closing.store(true, ordering: .releasing)
        try? await outbound.close(code, reason: reason)
    }

    /// One drain on the loop for every burst of messages.
    private func schedule() {
        guard !closing.load(ordering: .acquiring),
            scheduled.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        channel.eventLoop.execute { [self] in
            scheduled.store(false, ordering: .releasing)
            drain()
        }
    }

    /// On the loop: writes what is queued, a `lagged` notice first when events were dropped.
    private func drain() {
        guard !loop.value.inFlight, !closing.load(ordering: .acquiring) else { return }
        var (messages, dropped) = outbox.take()
        guard !messages.isEmpty || dropped > 0 else { return }
        RealtimeMetrics.events.increment(by: messages.count)
        if dropped > 0 {
            RealtimeMetrics.dropped.increment(by: dropped)
            let now = ContinuousClock.now
            if let since = loop.value.behindSince, now - since > maxLag {
                RealtimeMetrics.closedSlow.increment()
                logger.notice("realtime socket closed: behind for over \(maxLag)")
                Task { await close(.unknown(4408), reason: "too slow: events were dropped for too long") }
                return
            }
            if loop.value.behindSince == nil { loop.value.behindSince = now }
            messages.insert("{\"type\":\"lagged\",\"dropped\":\(dropped)}", at: 0)
        } else {
            loop.value.behindSince = nil
        }
        let written = channel.eventLoop.makePromise(of: Void.self)
        for index in messages.indices {
            let frame = WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: messages[index]))
            channel.write(frame, promise: index == messages.count - 1 ? written : nil)
        }
        channel.flush()
        loop.value.inFlight = true
        written.futureResult.assumeIsolated().whenComplete { [self] result in
            loop.value.inFlight = false
            // A failed write means the connection is gone; the session ends with its reader.
            if case .success = result { drain() }
        }
    }
}
