import NIOConcurrencyHelpers
import NIOCore

/// The keep alive checks of one event loop's connections: a wheel of one-second slots turned
/// by one repeated task, instead of a scheduled task per connection (a task, its closure and
/// its promise cost an idle connection some 300 bytes). A connection sits in the slot of the
/// second its keep alive runs out; when that second comes, it is closed if nothing arrived
/// meanwhile, or moved to the slot of its new deadline. Confined to its event loop.
final class KeepAliveWheel {
    static let slotCount = 64
    let eventLoop: any EventLoop
    private var slots: [[ObjectIdentifier: MQTTConnection]]
    private var lastTick: Int64
    private var task: RepeatedTask?

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        self.slots = Array(repeating: [:], count: Self.slotCount)
        self.lastTick = Self.elapsedSeconds(.now())
    }

    /// Whole seconds of a deadline, rounded up: a connection is looked at once its deadline passed.
    static func second(of deadline: NIODeadline) -> Int64 {
        (Int64(deadline.uptimeNanoseconds) + 999_999_999) / 1_000_000_000
    }

    /// Whole seconds elapsed at `now`, rounded down: the slots up to it are due.
    static func elapsedSeconds(_ now: NIODeadline) -> Int64 {
        Int64(now.uptimeNanoseconds) / 1_000_000_000
    }

    /// Starts watching `connection` (its ``MQTTConnection/keepAliveDeadline``).
    func add(_ connection: MQTTConnection) {
        eventLoop.assertInEventLoop()
        place(connection, at: connection.keepAliveDeadline)
        if task == nil {
            let bound = NIOLoopBound(self, eventLoop: eventLoop)
            task = eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
                bound.value.tick()
            }
        }
    }

    /// Stops watching `connection` (it closed).
    func remove(_ connection: MQTTConnection) {
        eventLoop.assertInEventLoop()
        guard connection.keepAliveSlot >= 0 else { return }
        slots[connection.keepAliveSlot].removeValue(forKey: ObjectIdentifier(connection))
        connection.keepAliveSlot = -1
    }

    /// Stops the wheel's task (the broker is shutting down).
    func stop() {
        task?.cancel()
        task = nil
    }

    private func place(_ connection: MQTTConnection, at deadline: NIODeadline) {
        let slot = Int(Self.second(of: deadline) % Int64(Self.slotCount))
        if connection.keepAliveSlot == slot { return }
        if connection.keepAliveSlot >= 0 {
            slots[connection.keepAliveSlot].removeValue(forKey: ObjectIdentifier(connection))
        }
        slots[slot][ObjectIdentifier(connection)] = connection
        connection.keepAliveSlot = slot
    }

    /// Looks at the slots of the seconds since the last tick (all of them, at most one turn,
    /// when the loop was busy).
    func tick() {
        let now = NIODeadline.now()
        let current = Self.elapsedSeconds(now)
        let from = max(lastTick + 1, current - Int64(Self.slotCount) + 1)
        guard from <= current else { return }
        lastTick = current
        for second in from...current {
            let slot = Int(second % Int64(Self.slotCount))
            guard !slots[slot].isEmpty else { continue }
            for connection in Array(slots[slot].values) {
                let deadline = connection.keepAliveDeadline
                if deadline <= now {
                    remove(connection)
                    connection.keepAliveExpired()
                } else {
                    place(connection, at: deadline)
                }
            }
        }
    }
}

extension Broker {
    /// The keep alive wheel of `eventLoop`, made on first use.
    func keepAliveWheel(for eventLoop: any EventLoop) -> KeepAliveWheel {
        let key = ObjectIdentifier(eventLoop)
        if let bound = keepAliveWheels.withLockedValue({ $0[key] }) { return bound.value }
        let wheel = KeepAliveWheel(eventLoop: eventLoop)
        return keepAliveWheels.withLockedValue { wheels in
            if let existing = wheels[key] { return existing.value }
            wheels[key] = NIOLoopBound(wheel, eventLoop: eventLoop)
            return wheel
        }
    }

    /// Stops every wheel's task (shutdown).
    func stopKeepAliveWheels() {
        for bound in keepAliveWheels.withLockedValue({ Array($0.values) }) {
            bound.eventLoop.execute { bound.value.stop() }
        }
    }
}
