import Logging
import MQTTCore
import NIOCore

extension MQTTConnection {
    func handleConnect(_ connect: ConnectPacket) {
        version = connect.protocolVersion
        connectTimeoutTask?.cancel()
        connectTimeoutTask = nil
        var clientID = connect.clientID
        var assignedID: String?
        if clientID.isEmpty {
            // 3.1 forbids an empty id; 3.1.1 allows it only with clean session [MQTT-3.1.3-7];
            // 5.0 assigns one.
            if version == .v3_1 || (version == .v3_1_1 && !connect.cleanStart) {
                refuse(.clientIdentifierNotValid, "empty client id with clean session 0")
                return
            }
            clientID = "roost-" + Self.randomID()
            if version == .v5 { assignedID = clientID }
        }
        if version == .v5, let method = connect.properties.authenticationMethod {
            refuse(.badAuthenticationMethod, "authentication method \(method) is not supported")
            return
        }
        if let will = connect.will, will.payload.readableBytes > broker.configuration.maxPayloadSize {
            refuse(.packetTooLarge, "will payload too large")
            return
        }
        loggedClientID = clientID
        let request = AuthenticationRequest(
            clientID: clientID, username: connect.username,
            password: connect.password.map { Array($0.readableBytesView) }, protocolVersion: version,
            remoteAddress: transport.remoteAddress, listener: listener)
        let hooks = broker.hooks
        if hooks.authenticators.isEmpty {
            finishConnect(connect, clientID: clientID, assignedID: assignedID, result: .allow())
            return
        }
        state = .authenticating
        let address = LoginThrottle.host(of: transport.remoteAddress)
        if let left = broker.loginThrottle.blocked(address: address) {
            // Refused unchecked (no credential lookup), after a pause: a guesser's rate stays low.
            broker.stats.loginThrottled()
            refuseLater(
                .connectionRateExceeded, "too many failed logins from this address; retry in \(Int(left.rounded(.up))) s",
                after: min(left, 1))
            return
        }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let (finalID, finalAssignedID) = (clientID, assignedID)
        let allowAnonymous = broker.configuration.allowAnonymous
        let promise = eventLoop.makePromise(of: AuthenticationResult.self)
        promise.completeWithTask { await hooks.authenticate(request, allowAnonymous: allowAnonymous) }
        promise.futureResult.whenSuccess { result in
            let connection = bound.value
            guard connection.state == .authenticating else { return }
            connection.state = .awaitingConnect
            connection.finishConnect(connect, clientID: finalID, assignedID: finalAssignedID, result: result)
            connection.processCumulation()
            connection.outlet?.endBurst()
        }
    }

    private func refuse(_ code: ReasonCode, _ message: String) {
        logger.info("connection refused: \(message)", metadata: ["reason": "\(code)"])
        var props = Properties()
        if version == .v5 { props.reasonString = message }
        close(
            reason: .protocolError(code), sendDisconnect: .connack(ConnAckPacket(reasonCode: code, properties: props)))
    }

    /// Refuses after `seconds` (nothing else is read meanwhile: the state is `authenticating`).
    private func refuseLater(_ code: ReasonCode, _ message: String, after seconds: Double) {
        guard seconds > 0 else { return refuse(code, message) }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        _ = eventLoop.scheduleTask(in: .milliseconds(Int64(seconds * 1000))) {
            let connection = bound.value
            guard connection.state == .authenticating else { return }
            connection.refuse(code, message)
        }
    }

    func finishConnect(_ connect: ConnectPacket, clientID: String, assignedID: String?, result: AuthenticationResult) {
        let attributes: [String: String]
        switch result {
        case .allow(let attrs): attributes = attrs
        case .deny(let code):
            broker.stats.authFailure()
            let address = LoginThrottle.host(of: transport.remoteAddress)
            let (delay, startsBlock) = broker.loginThrottle.failed(address: address, name: connect.username)
            if startsBlock {
                logger.warning(
                    "MQTT logins from \(address ?? "-") failed \(broker.loginThrottle.limits.failuresPerAddress) times in a minute: refusing it for the rest of the minute")
            }
            state = .authenticating
            refuseLater(code, "not authorized", after: delay)
            return
        case .ignore: attributes = [:]
        }
        if connect.username != nil { broker.loginThrottle.succeeded(name: connect.username) }
        let config = broker.configuration
        let info = ClientInfo(
            clientID: clientID, username: connect.username, protocolVersion: version,
            remoteAddress: transport.remoteAddress, listener: listener, attributes: attributes)
        self.client = info

        // Session expiry: 3.1.1 clean session 0 keeps the session until it is cleaned.
        var expiry: UInt32
        if version == .v5 {
            expiry = min(connect.properties.sessionExpiryInterval ?? 0, config.maxSessionExpiry)
        } else {
            expiry = connect.cleanStart ? 0 : UInt32.max
        }
        if version == .v5 && connect.properties.sessionExpiryInterval == UInt32.max { expiry = UInt32.max }

        // Keep alive: the server may lower it (v5 server keep alive).
        var keepAliveSeconds = connect.keepAlive
        var serverKeepAlive: UInt16?
        if config.maxKeepAlive > 0, version == .v5, keepAliveSeconds == 0 || keepAliveSeconds > config.maxKeepAlive {
            keepAliveSeconds = config.maxKeepAlive
            serverKeepAlive = keepAliveSeconds
        }

        let clientMax = connect.properties.maximumPacketSize.map { Int($0) }
        let outlet = ConnectionOutlet(
            transport: transport, version: version, maxPacketSize: clientMax,
            topicAliasMaximum: connect.properties.topicAliasMaximum ?? 0,
            onSent: { [stats = broker.stats] packets, bytes in stats.sent(packets: packets, bytes: bytes) })
        self.outlet = outlet
        outlet.beginBurst()
        self.will = connect.will
        topicAliasMaximum = version == .v5 ? config.topicAliasMaximum : 0

        let window = min(config.maxInflight, Int(connect.properties.receiveMaximum ?? UInt16.max))
        let (session, present) = broker.openSession(
            clientID: clientID, cleanStart: connect.cleanStart, connection: self, expiry: expiry)
        self.session = session
        state = .connected
        // A resumed session keeps only what this login may still subscribe to (the ACL may
        // have been read again while it was away).
        if present { _ = broker.dropUnauthorizedSubscriptions(of: session, for: info) }

        var props = Properties()
        if version == .v5 {
            props.assignedClientIdentifier = assignedID
            props.serverKeepAlive = serverKeepAlive
            props.receiveMaximum = config.receiveMaximum
            props.topicAliasMaximum = config.topicAliasMaximum
            props.maximumPacketSize = UInt32(config.maxPacketSize)
            props.retainAvailable = 1
            props.wildcardSubscriptionAvailable = 1
            props.subscriptionIdentifiersAvailable = 1
            props.sharedSubscriptionAvailable = 1
            if let requested = connect.properties.sessionExpiryInterval, requested != expiry {
                props.sessionExpiryInterval = expiry
            }
        }
        outlet.send(.packet(.connack(ConnAckPacket(sessionPresent: present, reasonCode: .success, properties: props))))
        // CONNACK first, then anything the session had waiting.
        session.attach(outlet, window: window, expiryInterval: expiry)
        broker.clientConnected(info)
        logger.debug("connected", metadata: ["version": "\(version)", "session_present": "\(present)"])

        keepAlive = .seconds(Int64(keepAliveSeconds))
        if keepAliveSeconds > 0 { scheduleKeepAliveCheck() }
    }

    /// Closes the connection when nothing arrived for 1.5 × keep alive [MQTT-3.1.2-24]: the
    /// event loop's keep alive wheel watches it.
    func scheduleKeepAliveCheck() {
        let wheel = broker.keepAliveWheel(for: eventLoop)
        keepAliveWheel = wheel
        wheel.add(self)
    }

    /// When the keep alive runs out if nothing more arrives.
    var keepAliveDeadline: NIODeadline {
        lastActivity + .nanoseconds(keepAlive.nanoseconds * 3 / 2)
    }

    /// The wheel found nothing arrived for 1.5 × keep alive.
    func keepAliveExpired() {
        guard state == .connected else { return }
        logger.info("keep alive expired")
        let disconnect: Packet? = version == .v5 ? .disconnect(DisconnectPacket(reasonCode: .keepAliveTimeout)) : nil
        close(reason: .keepAliveTimeout, sendDisconnect: disconnect)
    }

    /// Called by the broker when another connection takes this client id [MQTT-3.1.4-3].
    func takeOver() {
        guard state == .connected else { return }
        logger.info("session taken over by a new connection")
        let disconnect: Packet? = version == .v5 ? .disconnect(DisconnectPacket(reasonCode: .sessionTakenOver)) : nil
        close(reason: .takenOver, sendDisconnect: disconnect)
    }

    static func randomID() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<16).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }
}
