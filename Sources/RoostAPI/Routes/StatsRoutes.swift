import Foundation
import Hummingbird
import RoostJSON
import RoostStore

/// `GET /stats`: the dashboard's overview. Device counts are the caller's tenant's (all tenants
/// for platform admins); message figures are this node's ingest.
struct StatsRoutes {
    let api: RoostAPI

    func register(on group: APIGroup) {
        group.get("/stats") { request, context in
            let identity = try context.require(.viewer)
            let tenant = try await DeviceRoutes(api: api).requestedTenant(request, identity)
            let counts = try await api.store.deviceCounts(tenantID: context.scope(identity, requested: tenant))
            let ingest = api.ingest?.statistics
            let perMinute = Double(ingest?.lastMinute ?? 0)
            let depth = ingest?.queueDepth ?? 0
            // How long the queued messages take at the recent rate: an estimate of the lag.
            let lag: JSONValue = perMinute > 0 ? .number((Double(depth) / (perMinute / 60_000)).rounded()) : .number(0)
            let broker = api.broker.stats.snapshot
            return Response.json(
                .object([
                    JSONMember("devices_total", .number(Double(counts.total))),
                    JSONMember("devices_online", .number(Double(counts.online))),
                    JSONMember("messages_total", .number(Double(ingest?.messages ?? 0))),
                    JSONMember("messages_per_minute", .number(perMinute.rounded())),
                    JSONMember("telemetry_stored", .number(Double(ingest?.telemetryInserted ?? 0))),
                    JSONMember("duplicates", .number(Double(ingest?.duplicates ?? 0))),
                    JSONMember("dead_letters", .number(Double(ingest?.deadLetters ?? 0))),
                    JSONMember("ingest_queue_depth", .number(Double(depth))),
                    JSONMember("ingest_lag_ms", lag),
                    JSONMember("mqtt_clients_connected", .number(Double(broker.clientsConnected))),
                ]))
        }
    }
}
