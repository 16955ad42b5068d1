import RoostCore
import RoostStore
import Testing

@Suite("Presence rules")
struct PresenceBookTests {
    static let a = DeviceKey(tenant: "t0", uid: "a")
    static let b = DeviceKey(tenant: "t0", uid: "b")
    static func timeout(_ tenant: String) -> Int64 { 300_000 }

    @Test("the external broker's client events: online with no inactivity timeout until its disconnect; a relayed device heard after a restart too")
    func brokerEvents() {
        var book = PresenceBook()
        book.brokerConnected(Self.a)
        // Bridged messages (no connection id) keep it the broker's, not relayed.
        _ = book.heard(Self.a, by: nil, at: 0)
        #expect(book.inactive(at: 10_000_000, timeout: Self.timeout).isEmpty && book.online == [Self.a])
        book.brokerDisconnected(Self.a)
        #expect(book.online.isEmpty)
        // A disconnect this node never saw the connect of still makes the device offline.
        book.restore(Self.b, lastHeard: 0)
        book.brokerDisconnected(Self.b)
        #expect(book.online.isEmpty && book.inactive(at: 10_000_000, timeout: Self.timeout).isEmpty)
    }

    @Test("own connections: a device login, a client id that is the uid, a single-device client")
    func own() {
        var book = PresenceBook()
        let cameOnline = book.connected(Self.a, clientID: "login-1")
        #expect(cameOnline)
        var off = book.disconnected("login-1", at: 0)
        #expect(off == [Self.a])
        _ = book.heard(Self.a, by: "a", at: 0)
        _ = book.heard(Self.b, by: "a", at: 0)
        // Client "a" spoke for a and b, but it is a's own: a goes, b stays (relayed).
        off = book.disconnected("a", at: 1)
        #expect(off == [Self.a] && book.online == [Self.b])
        off = book.inactive(at: 300_001, timeout: Self.timeout)
        #expect(off == [Self.b])
        _ = book.heard(Self.a, by: "tool", at: 0)
        off = book.disconnected("tool", at: 1)
        #expect(off == [Self.a])
    }

    @Test("a gateway's devices keep their status; a device login elsewhere is not disturbed")
    func gateway() {
        var book = PresenceBook()
        _ = book.connected(Self.a, clientID: "a-login")
        _ = book.heard(Self.a, by: "gw", at: 0)
        _ = book.heard(Self.b, by: "gw", at: 0)
        var off = book.disconnected("gw", at: 10)
        #expect(off.isEmpty && book.online == [Self.a, Self.b])
        // Only b is relayed: a has its own connection open.
        off = book.inactive(at: 400_000, timeout: Self.timeout)
        #expect(off == [Self.b])
        off = book.disconnected("a-login", at: 400_000)
        #expect(off == [Self.a])
    }

    @Test("an explicit status wins, and an offline device is not timed out again")
    func explicit() {
        var book = PresenceBook()
        book.stated(Self.a, online: true, by: "gw", at: 0)
        book.stated(Self.b, online: true, by: "gw", at: 0)
        book.stated(Self.b, online: false, by: "gw", at: 5)
        #expect(book.online == [Self.a])
        var off = book.disconnected("gw", at: 6)
        #expect(off.isEmpty)
        off = book.inactive(at: 300_000, timeout: Self.timeout)
        #expect(off == [Self.a])
        off = book.inactive(at: 900_000, timeout: Self.timeout)
        #expect(off.isEmpty)
    }
}
