public import RoostJSON
public import RoostStore

/// How alerts and rules look in the API, on realtime sockets and in webhooks.
public enum AlertJSON {
    static func time(_ ms: Int64?) -> JSONValue { ms.map { .string(Timestamp.rfc3339(epochMilliseconds: $0)) } ?? .null }

    /// `{"id","rule","rule_name","device","uid","tenant","state","value","opened_at",
    /// "acknowledged_at","acknowledged_by","resolved_at"}`.
    public static func object(_ a: AlertRecord) -> [JSONMember] {
        [
            JSONMember("id", .number(Double(a.id))),
            JSONMember("rule", .number(Double(a.ruleID))),
            JSONMember("rule_name", .string(a.ruleName)),
            JSONMember("device", .number(Double(a.deviceID))),
            JSONMember("uid", .string(a.uid)),
            JSONMember("tenant", .string(a.tenant)),
            JSONMember("state", .string(a.state.rawValue)),
            JSONMember("value", a.value.map(JSONValue.number) ?? .null),
            JSONMember("opened_at", time(a.openedAt)),
            JSONMember("acknowledged_at", time(a.acknowledgedAt)),
            JSONMember("acknowledged_by", a.acknowledgedBy.map(JSONValue.string) ?? .null),
            JSONMember("resolved_at", time(a.resolvedAt)),
        ]
    }

    /// The realtime event of a step: ``object(_:)`` with `"type":"alert"` and `"event"`
    /// (`opened`, `acknowledged`, `resolved`).
    public static func event(_ a: AlertRecord, _ event: String) -> RealtimeEvent {
        let json = JSONValue.object(
            [JSONMember("type", .string("alert")), JSONMember("event", .string(event))] + object(a)
        ).jsonText
        return RealtimeEvent(kind: .alert, tenant: a.tenant, device: a.deviceID, json: json)
    }

    /// A webhook's body: `{"event":"alert.opened"|"alert.resolved","alert":{…}}`.
    public static func webhookBody(_ a: AlertRecord, _ event: String) -> String {
        JSONValue.object([JSONMember("event", .string(event)), JSONMember("alert", .object(object(a)))]).jsonText
    }

    /// `{"id","name","tenant","device","uid","labels","kind","key","op","threshold","for_s"|"after_s",
    /// "webhook_url","webhook_secret_set","enabled","created_at","updated_at"}` (the secret itself
    /// is never shown again).
    public static func rule(_ r: AlertRuleRecord) -> [JSONMember] {
        let s = r.spec
        let labels = s.labels.flatMap { try? JSONParser.parse($0) } ?? .null
        var members: [JSONMember] = [
            JSONMember("id", .number(Double(r.id))),
            JSONMember("name", .string(s.name)),
            JSONMember("tenant", .string(r.tenant)),
            JSONMember("device", s.deviceID.map { .number(Double($0)) } ?? .null),
            JSONMember("uid", r.uid.map(JSONValue.string) ?? .null),
            JSONMember("labels", labels),
            JSONMember("kind", .string(s.kind.rawValue)),
        ]
        if s.kind == .threshold {
            members += [
                JSONMember("key", s.key.map(JSONValue.string) ?? .null),
                JSONMember("op", s.op.map { .string($0.rawValue) } ?? .null),
                JSONMember("threshold", s.threshold.map(JSONValue.number) ?? .null),
                JSONMember("for_s", .number(Double(s.duration))),
            ]
        } else {
            members.append(JSONMember("after_s", .number(Double(s.duration))))
        }
        members += [
            JSONMember("webhook_url", s.webhookURL.map(JSONValue.string) ?? .null),
            JSONMember("webhook_secret_set", .bool(s.webhookSecret != nil)),
            JSONMember("enabled", .bool(s.enabled)),
            JSONMember("created_at", time(r.createdAt)),
            JSONMember("updated_at", time(r.updatedAt)),
        ]
        return members
    }

    /// A delivery and its attempts: `{"id","event","url","status","attempts","next_attempt_at",
    /// "last_status","last_error","created_at","delivered_at"}`.
    public static func delivery(_ d: WebhookDelivery) -> [JSONMember] {
        [
            JSONMember("id", .number(Double(d.id))),
            JSONMember("event", .string(d.event)),
            JSONMember("url", .string(d.url)),
            JSONMember("status", .string(d.status.rawValue)),
            JSONMember("attempts", .number(Double(d.attempts))),
            JSONMember("next_attempt_at", d.status == .pending ? time(d.nextAttemptAt) : .null),
            JSONMember("last_status", d.lastStatus.map { .number(Double($0)) } ?? .null),
            JSONMember("last_error", d.lastError.map(JSONValue.string) ?? .null),
            JSONMember("created_at", time(d.createdAt)),
            JSONMember("delivered_at", time(d.deliveredAt)),
        ]
    }
}
