import Foundation
import HTTPTypes
import Hummingbird
public import MQTTBroker
import MQTTCore
import NIOCore
public import RoostCore
import RoostJSON
public import RoostStore

/// HTTP ingest for devices that do not speak MQTT (seed 004): `POST /api/v1/ingest` with one
/// telemetry object, `POST /api/v1/ingest/batch` with an array of them, `X-API-Key` naming the
/// device. Messages go through the broker like MQTT QoS 1 publishes, so subscribers see them and
/// the same pipeline stores them; the answer is 202 only once they are committed.
public struct HTTPIngest: Sendable {
    let broker: Broker
    let layout: TopicLayout
    let credentials: any CredentialStore
    /// Largest request body accepted, in bytes.
    let maxBody: Int

    public init(broker: Broker, layout: TopicLayout, credentials: any CredentialStore, maxBody: Int = 1 << 20) {
        self.broker = broker
        self.layout = layout
        self.credentials = credentials
        self.maxBody = maxBody
    }

    func register(on router: Router<RoostRequestContext>) {
        router.post("/api/v1/ingest") { request, context in
            try await handle(request, context, batch: false)
        }
        router.post("/api/v1/ingest/batch") { request, context in
            try await handle(request, context, batch: true)
        }
    }

    private func handle(_ request: Request, _ context: RoostRequestContext, batch: Bool) async throws -> Response {
        // The MQTT listener's brute-force limits hold here too, on the same addresses.
        let throttle = broker.loginThrottle
        if let left = throttle.blocked(address: context.remoteAddress) {
            broker.stats.loginThrottled()
            let seconds = Int(left.rounded(.up))
            return APIError(
                .tooManyRequests, "too_many_failures", "too many refused API keys from this address; retry in \(seconds) s",
                headers: [.retryAfter: "\(seconds)"]
            ).response()
        }
        guard let key = request.headers[HTTPField.Name("X-API-Key")!], !key.isEmpty else {
            return APIError(.unauthorized, "unauthorized", "send the device's API key in X-API-Key").response()
        }
        guard let device = try await credentials.verifyAPIKey(key) else {
            let (delay, startsBlock) = throttle.failed(address: context.remoteAddress, name: nil)
            if startsBlock {
                context.logger.warning("API keys from \(context.remoteAddress) refused too often: refusing it for a minute")
            }
            try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            return APIError(.unauthorized, "unauthorized", "unknown or revoked API key").response()
        }
        guard
            let topic = layout.templates.first(where: { $0.kind == .telemetry && $0.direction == .uplink })?
                .topic(tenant: device.key.tenant, device: device.key.uid, feed: nil),
            !topic.contains("+")
        else {
            return APIError(
                .conflict, "no_telemetry_topic", "the topic layout has no telemetry topic for devices").response()
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBody)
        } catch {
            return APIError(.contentTooLarge, "too_large", "request body over \(maxBody) bytes").response()
        }
        // Parsed once: each item is normalised from the parsed value, and the result rides with
        // its message (PreparedTelemetry) so that the ingest pipeline does not parse it again.
        let items: [(json: JSONValue, raw: String)]
        switch try? JSONParser.parse(body.readableBytesView) {
        case .object(let members)?:
            guard !batch else {
                return APIError(.badRequest, "not_array", "the batch endpoint takes a JSON array").response()
            }
            items = [(.object(members), String(buffer: body))]
        case .array(let values)?:
            guard batch else {
                return APIError(.badRequest, "not_object", "send one JSON object, or use /ingest/batch").response()
            }
            guard !values.isEmpty else { return APIError(.badRequest, "empty", "the batch is empty").response() }
            items = values.map { ($0, $0.jsonText) }
        default:
            return APIError(.badRequest, "not_json", "the body is not JSON").response()
        }
        let client = ClientInfo(
            clientID: "http:\(device.key)", username: nil, protocolVersion: .v5, remoteAddress: context.remoteAddress,
            listener: "http", attributes: ["tenant": device.key.tenant, "device": device.key.uid])
        // Every item is checked, by the normaliser and by the broker's gate (ACLs,
        // interceptors), before any is routed: the batch is stored all or nothing.
        var admitted: [AdmittedMessage] = []
        admitted.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            let details = batch ? ["index": "\(index)"] : [:]
            let payload: TelemetryPayload
            do {
                payload = try PayloadNormalizer.telemetry(json: item.json, raw: item.raw)
            } catch {
                return APIError(.unprocessableContent, error.code, error.description, details: details).response()
            }
            let message = Message(
                topic: topic, payload: ByteBuffer(string: item.raw), qos: .atLeastOnce, retain: false,
                publisherID: client.clientID, attachment: PreparedTelemetry(payload))
            switch broker.admit(message, from: client) {
            case .admitted(let accepted): admitted.append(accepted)
            case .rejected(let code):
                return APIError(
                    .forbidden, "rejected", "the broker refused the message (reason 0x\(String(code.rawValue, radix: 16)))",
                    details: details.merging(["topic": topic]) { $1 }
                ).response()
            }
        }
        let loop = context.eventLoop
        let commits = admitted.compactMap { broker.route($0, on: loop) }
        do {
            try await EventLoopFuture.andAllSucceed(commits, on: loop).get()
        } catch {
            return APIError(.serviceUnavailable, "not_stored", "the messages could not be stored; retry").response()
        }
        var response = ByteBuffer()
        response.writeString(
            "{\"accepted\":\(items.count),\"device\":\"\(device.key.uid)\",\"tenant\":\"\(device.key.tenant)\"}")
        return Response(
            status: .accepted, headers: [.contentType: "application/json"], body: .init(byteBuffer: response))
    }
}
