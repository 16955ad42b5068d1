/// Where realtime events go and who receives them. In one process ``LocalRealtimeHub``; on
/// several nodes an implementation that carries events between them (PostgreSQL NOTIFY, a
/// broker topic) behind the same two calls, so that producers and sockets do not change.
public protocol RealtimeBus: Sendable {
    /// Hands events to every subscriber whose filter takes them. Never blocks: a subscriber
    /// that cannot keep up drops events itself.
    func publish(_ events: [RealtimeEvent])
    /// Adds a subscriber (or changes its filter); it receives matching events from then on.
    func attach(_ subscriber: any RealtimeSubscriber, filter: RealtimeFilter)
    /// Removes a subscriber.
    func detach(_ subscriber: any RealtimeSubscriber)
    /// What any subscriber takes (the union of their filters): producers render only the
    /// events someone watches.
    var interest: RealtimeFilter { get }
}

/// Receives the events its filter takes, in publication order.
public protocol RealtimeSubscriber: AnyObject, Sendable {
    /// Called on the publisher's thread: must only queue (see the API's socket outbox).
    func receive(_ event: RealtimeEvent)
}
