import Synchronization
import CoreMetrics
import Hummingbird
import MQTTBroker
import NIOConcurrencyHelpers
import NIOCore
import Prometheus
import RoostStore

/// `GET /metrics`: Prometheus text. HTTP metrics come from Hummingbird's MetricsMiddleware
/// through swift-metrics; broker and ingest counters are read from their stats when scraped.
public enum RoostMetrics {
    /// The process-wide registry that `/metrics` renders.
    static let registry = PrometheusCollectorRegistry()
    private static let bootstrapped = Mutex(false)

    /// Points swift-metrics at the registry `/metrics` renders. Called once by the server's
    /// assembly (swift-metrics takes one bootstrap per process; later calls do nothing).
    /// Without it, counters and histograms of the domain go nowhere and `/metrics` shows the
    /// broker's and the API's own gauges only.
    public static func bootstrap() {
        let first = bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        if first { MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry)) }
    }

    static func render(api: RoostAPI?, broker: Broker) -> Response {
        let r = registry
        let b = broker.stats.snapshot
        let gauges: [(String, String, Int)] = [
            ("roost_mqtt_clients_connected", "MQTT clients connected now", b.clientsConnected),
            ("roost_mqtt_connections_total", "MQTT connections accepted", b.connectionsTotal),
            ("roost_mqtt_messages_received_total", "PUBLISH packets received", b.messagesReceived),
            ("roost_mqtt_messages_sent_total", "PUBLISH packets sent", b.messagesSent),
            ("roost_mqtt_bytes_received_total", "bytes received", b.bytesReceived),
            ("roost_mqtt_bytes_sent_total", "bytes sent", b.bytesSent),
            ("roost_mqtt_messages_dropped_total", "messages dropped (queues full)", b.messagesDropped),
            ("roost_mqtt_denials_total", "publishes or subscriptions refused by ACL", b.denials),
            ("roost_mqtt_auth_failures_total", "CONNECTs refused for credentials", b.authFailures),
            ("roost_mqtt_logins_throttled_total", "CONNECTs refused unchecked: their address failed too often", b.loginsThrottled),
            ("roost_mqtt_protocol_errors_total", "connections closed for protocol errors", b.protocolErrors),
        ]
        for (name, help, value) in gauges { gauge(r, name, help).set(Double(value)) }
        if let i = api?.ingest?.statistics {
            let ingest: [(String, String, Int)] = [
                ("roost_ingest_messages_total", "messages committed by the ingest", i.messages),
                ("roost_ingest_telemetry_stored_total", "telemetry rows inserted", i.telemetryInserted),
                ("roost_ingest_duplicates_total", "telemetry messages already stored (same msg_id)", i.duplicates),
                ("roost_ingest_dead_letters_total", "messages kept as dead letters", i.deadLetters),
                ("roost_ingest_failed_total", "messages of batches that failed to commit", i.failed),
                ("roost_ingest_batches_total", "store transactions committed", i.batches),
                ("roost_ingest_queue_depth", "messages waiting for the writer", i.queueDepth),
                ("roost_ingest_dropped_total", "QoS 0 messages dropped with the queue full", i.dropped),
            ]
            for (name, help, value) in ingest { gauge(r, name, help).set(Double(value)) }
        }
        if let c = api?.historyCache.counts {
            let cache: [(String, String, Int)] = [
                ("roost_api_history_cache_hits_total", "history pages sent from the cache", c.hits),
                ("roost_api_history_cache_misses_total", "history pages read from the store", c.misses),
                (
                    "roost_api_history_not_modified_total", "history requests answered 304 (If-None-Match)",
                    c.notModified
                ),
                ("roost_api_history_cache_entries", "history pages in the cache", c.entries),
                ("roost_api_history_cache_bytes", "bytes of history pages in the cache", c.bytes),
            ]
            for (name, help, value) in cache { gauge(r, name, help).set(Double(value)) }
        }
        if let commands = api?.commands?.counters {
            for status in CommandStatus.allCases {
                r.makeGauge(
                    name: "roost_commands_total", labels: [("status", status.rawValue)],
                    help: "commands that reached each status since start"
                ).set(Double(commands.count(of: status)))
            }
            gauge(r, "roost_command_answers_ignored_total", "answers naming an unknown, foreign or finished command")
                .set(Double(commands.ignoredAcks.load(ordering: .relaxed)))
        }
        if let shadows = api?.shadows {
            gauge(r, "roost_shadow_updates_total", "shadow changes written (desired or reported)")
                .set(Double(shadows.updates.load(ordering: .relaxed)))
            gauge(r, "roost_shadow_reports_ignored_total", "shadow reports that were not a JSON object or named an unknown device")
                .set(Double(shadows.ignoredReports.load(ordering: .relaxed)))
        }
        if let alerts = api?.alerts {
            let counts: [(String, String, Int)] = [
                ("roost_alert_evaluations_total", "rule checks of committed messages and statuses", alerts.evaluations.load(ordering: .relaxed)),
                ("roost_alerts_opened_total", "alerts opened", alerts.opened.load(ordering: .relaxed)),
                ("roost_alerts_resolved_total", "alerts resolved", alerts.resolved.load(ordering: .relaxed)),
            ]
            for (name, help, value) in counts { gauge(r, name, help).set(Double(value)) }
        }
        if let scheduler = api?.scheduler {
            let counts: [(String, String, Int)] = [
                ("roost_schedule_runs_fired_total", "schedule runs that submitted their commands", scheduler.fired.load(ordering: .relaxed)),
                ("roost_schedule_runs_skipped_total", "schedule runs missed past the grace", scheduler.skipped.load(ordering: .relaxed)),
                ("roost_schedule_runs_failed_total", "schedule runs that submitted nothing", scheduler.failed.load(ordering: .relaxed)),
            ]
            for (name, help, value) in counts { gauge(r, name, help).set(Double(value)) }
        }
        if let hooks = api?.webhooks {
            let counts: [(String, String, Int)] = [
                ("roost_webhook_attempts_total", "webhook POSTs attempted", hooks.attempts.load(ordering: .relaxed)),
                ("roost_webhook_delivered_total", "webhooks answered 2xx", hooks.delivered.load(ordering: .relaxed)),
                ("roost_webhook_failed_total", "webhooks that failed every attempt", hooks.failed.load(ordering: .relaxed)),
            ]
            for (name, help, value) in counts { gauge(r, name, help).set(Double(value)) }
        }
        var bytes: [UInt8] = []
        r.emit(into: &bytes)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The gauge `name` (full name: the descriptor's other parts stay empty).
    static func gauge(_ registry: PrometheusCollectorRegistry, _ name: String, _ help: String) -> Prometheus.Gauge {
        registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help))
    }
}
