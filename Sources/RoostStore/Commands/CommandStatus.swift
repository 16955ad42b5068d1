/// Where a command is in its life: `queued → sent → delivered → succeeded | failed`, or
/// `expired` / `cancelled` (../shared/CONTRACT.md).
public enum CommandStatus: String, Sendable, Hashable, CaseIterable, Codable {
    /// Stored, waiting for the device to listen.
    case queued
    /// Published to the device's downlink; no PUBACK yet.
    case sent
    /// The device's client acknowledged the MQTT message (PUBACK).
    case delivered
    /// The device answered `"status":"ok"`.
    case succeeded
    /// The device answered `"status":"error"`.
    case failed
    /// Its timeout passed before the device answered.
    case expired
    /// Cancelled by a user while queued.
    case cancelled

    /// `true` when nothing more happens to the command.
    public var isFinal: Bool {
        switch self {
        case .queued, .sent, .delivered: false
        case .succeeded, .failed, .expired, .cancelled: true
        }
    }

    /// The statuses of a command still under way.
    public static let pending: Set<CommandStatus> = [.queued, .sent, .delivered]
}
