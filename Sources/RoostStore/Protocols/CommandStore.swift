/// Commands and their lifecycle, stored so that a queued command survives restarts.
public protocol CommandStore: Sendable {
    /// Stores a queued command. Throws ``StoreError/limitReached(_:)`` when its device already
    /// has `maxQueued` queued commands, ``StoreError/notFound(_:)`` when the device is gone.
    func createCommand(_ command: NewCommand, maxQueued: Int) async throws -> CommandRecord
    func command(id: String) async throws -> CommandRecord?
    /// A page of a device's commands, newest first.
    func commands(_ query: CommandQuery) async throws -> [CommandRecord]
    /// Applies `transition` if the command is in one of its `from` statuses; returns the
    /// command as it is now, nil when it is unknown or was elsewhere (nothing changed).
    /// Moving to `sent` sets `sent_at`, to `delivered` `delivered_at`, to a final status
    /// `completed_at` (and `result`); back to `queued` clears `sent_at`.
    func transitionCommand(_ transition: CommandTransition) async throws -> CommandRecord?
    /// Queued commands, oldest first: of one device, or of every device when `device` is nil.
    func queuedCommands(device: DeviceKey?, limit: Int) async throws -> [CommandRecord]
    /// Marks `expired` every unfinished command whose expiry is at or before `now` (at most
    /// `limit`), and returns them.
    func expireCommands(now: Int64, limit: Int) async throws -> [CommandRecord]
}
