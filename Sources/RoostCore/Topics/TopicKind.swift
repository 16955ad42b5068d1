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
}

/// Direction of a topic relative to the device.
public enum TopicDirection: String, Sendable, Hashable, Codable {
    case uplink, downlink
}
