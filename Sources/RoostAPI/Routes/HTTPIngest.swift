import Foundation
import HTTPTypes
public import Hummingbird
public import MQTTBroker
import MQTTCore
import NIOCore
import NIOPosix
public import RoostCore
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
        guard let key = request.headers[HTTPField.Name("X-API-Key")!], !key.isEmpty else {
            return APIError.response(.unauthorized, "unauthorized", "send the device's API key in X-API-Key")
        }
        guard let device = try await credentials.verifyAPIKey(key) else {
            return APIError.response(.unauthorized, "unauthorized", "unknown or revoked API key")
        }
        guard
            let topic = layout.templates.first(where: { $0.kind == .telemetry && $0.direction == .uplink })?
                .topic(tenant: device.key.tenant, device: device.key.uid, feed: nil),
            !topic.contains("+")
        else {
            return APIError.response(
                .conflict, "no_telemetry_topic", "the topic layout has no telemetry topic for devices")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBody)
        } catch {
            return APIError.response(.contentTooLarge, "too_large", "request body over \(maxBody) bytes")
        }
        let documents: [ByteBuffer]
        switch try? JSONParser.parse(body.readableBytesView) {
        case .object?:
            guard !batch else {
                return APIError.response(.badRequest, "not_array", "the batch endpoint takes a JSON array")
            }
            documents = [body]
        case .array(let items)?:
            guard batch else {
                return APIError.response(.badRequest, "not_object", "send one JSON object, or use /ingest/batch")
            }
            guard !items.isEmpty else { return APIError.response(.badRequest, "empty", "the batch is empty") }
            documents = items.map { ByteBuffer(string: $0.jsonText) }
        default:
            return APIError.response(.badRequest, "not_json", "the body is not JSON")
        }
        // Refuse bad items before anything is stored: the batch is all or nothing.
        for (index, document) in documents.enumerated() {
            do {
                _ = try PayloadNormalizer.telemetry(document.readableBytesView)
            } catch {
                return APIError.response(
                    .unprocessableContent, error.code, error.description, details: batch ? ["index": "\(index)"] : [:])
            }
        }
        let client = ClientInfo(
            clientID: "http:\(device.key)", username: nil, protocolVersion: .v5, remoteAddress: nil, listener: "http",
            attributes: ["tenant": device.key.tenant, "device": device.key.uid])
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        var commits: [EventLoopFuture<Void>] = []
        for document in documents {
            let message = Message(
                topic: topic, payload: document, qos: .atLeastOnce, retain: false, publisherID: client.clientID)
            if let commit = broker.publish(message, from: client, on: loop) { commits.append(commit) }
        }
        do {
            try await EventLoopFuture.andAllSucceed(commits, on: loop).get()
        } catch {
            return APIError.response(.serviceUnavailable, "not_stored", "the messages could not be stored; retry")
        }
        var response = ByteBuffer()
        response.writeString(
            "{\"accepted\":\(documents.count),\"device\":\"\(device.key.uid)\",\"tenant\":\"\(device.key.tenant)\"}")
        return Response(
            status: .accepted, headers: [.contentType: "application/json"], body: .init(byteBuffer: response))
    }
}
