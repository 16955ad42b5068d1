public import RoostStore

/// Which connection vouches for each device being online, and so what its loss means.
///
/// - A connection is a device's **own** when it logged in with the device's credentials, or its
///   client id is the device's uid, or it has only ever published for that one device. Its
///   loss (will, keepalive, socket) makes the device offline at once.
/// - A connection that publishes for several devices is a **gateway** (a BLE phone, a Modbus
///   bridge, a backend relaying status). Its loss leaves each device with the status its own
///   payloads last said; a device relayed so, with no message for its tenant's inactivity
///   timeout, becomes offline (ThingsBoard's model).
/// - An explicit status payload (`{"status":"offline"}`) always wins over inference.
public struct PresenceBook: Sendable {
    /// Devices heard from each open connection (client id).
    var clientDevices: [String: Set<DeviceKey>] = [:]
    /// The open connection that is each device's own.
    var own: [DeviceKey: String] = [:]
    /// Online devices no own connection vouches for, with when they were last heard.
    var relayed: [DeviceKey: Int64] = [:]
    /// Devices online now.
    public private(set) var online: Set<DeviceKey> = []

    public init() {}

    /// A device logged in with its credentials on `clientID`; true when it came online.
    public mutating func connected(_ device: DeviceKey, clientID: String) -> Bool {
        clientDevices[clientID, default: []].insert(device)
        own[device] = clientID
        relayed[device] = nil
        return online.insert(device).inserted
    }

    /// A message from `device` (by `clientID`, nil when no connection sent it); true when the
    /// device came online by it.
    public mutating func heard(_ device: DeviceKey, by clientID: String?, at now: Int64) -> Bool {
        track(device, by: clientID, at: now)
        return online.insert(device).inserted
    }

    /// A status payload: what the device says wins.
    public mutating func stated(_ device: DeviceKey, online isOnline: Bool, by clientID: String?, at now: Int64) {
        track(device, by: clientID, at: now)
        if isOnline {
            online.insert(device)
        } else {
            online.remove(device)
            relayed[device] = nil
        }
    }

    private mutating func track(_ device: DeviceKey, by clientID: String?, at now: Int64) {
        guard let clientID else {
            if own[device] == nil { relayed[device] = now }
            return
        }
        let (inserted, _) = clientDevices[clientID, default: []].insert(device)
        if device.uid == clientID {
            own[device] = clientID
            relayed[device] = nil
            return
        }
        guard let devices = clientDevices[clientID], devices.count > 1 else { return }
        // A gateway: its devices are relayed, unless a connection of their own vouches for them.
        if own[device] == nil { relayed[device] = now }
        if inserted && devices.count == 2 {
            for other in devices where other != device && own[other] == nil && online.contains(other) {
                relayed[other] = relayed[other] ?? now
            }
        }
    }

    /// The external broker says `device` connected (its client event): online, vouched for by
    /// the broker (no inactivity timeout) until it says the device left.
    public mutating func brokerConnected(_ device: DeviceKey) {
        own[device] = Self.brokerEvents
        relayed[device] = nil
        online.insert(device)
    }

    /// The external broker says `device` disconnected: offline, whatever this node knew.
    public mutating func brokerDisconnected(_ device: DeviceKey) {
        if own[device] == Self.brokerEvents { own[device] = nil }
        relayed[device] = nil
        online.remove(device)
    }

    /// The owner recorded for devices the broker's client events vouch for.
    static let brokerEvents = "$broker-events"

    /// A connection closed (not taken over): the devices it was the own connection of, which
    /// are offline now.
    public mutating func disconnected(_ clientID: String, at now: Int64) -> [DeviceKey] {
        guard let devices = clientDevices.removeValue(forKey: clientID) else { return [] }
        let gateway = devices.count > 1
        var offline: [DeviceKey] = []
        for device in devices {
            let owner = own[device]
            if owner == clientID { own[device] = nil }
            let mine = owner == clientID || device.uid == clientID || (!gateway && owner == nil)
            if mine {
                relayed[device] = nil
                if online.remove(device) != nil { offline.append(device) }
            } else if owner == nil, online.contains(device) {
                relayed[device] = relayed[device] ?? now
            }
        }
        return offline
    }

    /// A device the store says is online, from before a restart: no connection vouches for it
    /// yet, so it counts as relayed, heard last at `lastHeard`, and goes offline after its
    /// inactivity timeout unless its own connection or a message comes back first.
    public mutating func restore(_ device: DeviceKey, lastHeard: Int64) {
        guard own[device] == nil, !online.contains(device) else { return }
        online.insert(device)
        relayed[device] = lastHeard
    }

    /// Relayed devices silent for their timeout (milliseconds, by tenant), now offline.
    public mutating func inactive(at now: Int64, timeout: (String) -> Int64) -> [DeviceKey] {
        var offline: [DeviceKey] = []
        for (device, heard) in relayed where now - heard >= timeout(device.tenant) {
            relayed[device] = nil
            if own[device] == nil, online.remove(device) != nil { offline.append(device) }
        }
        return offline
    }
}
