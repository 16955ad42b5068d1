import NIOCore

/// The acknowledgement of the QoS 1/2 messages that one event loop queued between two takes
/// of the writer: one promise for all of them rather than one each, completed once the last
/// of them is committed (a batch cut at `batchSize` can leave some for the next batch), or as
/// soon as a batch holding any of them fails. Its counters are guarded by the pipeline's state
/// lock.
final class CommitGroup: @unchecked Sendable {
    let loop: any EventLoop
    let promise: EventLoopPromise<Void>
    /// Messages of the group not yet committed.
    var pending = 0
    /// Whether the promise was completed.
    var completed = false

    init(loop: any EventLoop) {
        self.loop = loop
        self.promise = loop.makePromise(of: Void.self)
    }
}
