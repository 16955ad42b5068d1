import MQTTCore

/// What a message on a device topic is.
public enum TopicKind: String, Sendable, Hashable, Codable {
    /// Uplink readings.
    case telemetry
    /// Uplink device state (`{"status": "online"|"offline", …}`, often retained and the Last Will).
    case status
    /// Uplink events (seed 003's `from_device/{device}/event`).
    case event
    /// Uplink acknowledgement of a command.
    case commandAck = "command_ack"
    /// Downlink commands to the device.
    case commands
    /// Uplink: the device's reported shadow state, a JSON object merged into `reported`.
    case shadowReported = "shadow_reported"
    /// Downlink: the shadow's delta (desired keys the device has not reported yet).
    case shadowDelta = "shadow_delta"

    /// Which way messages of this kind travel.
    public var direction: TopicDirection {
        switch self {
        case .commands, .shadowDelta: .downlink
        case .telemetry, .status, .event, .commandAck, .shadowReported: .uplink
        }
    }
}

/// Direction of a topic relative to the device.
public enum TopicDirection: String, Sendable, Hashable, Codable {
    case uplink, downlink
}
