import Testing

@testable import RoostCore

@Suite("Ingest: messages in the last minute")
struct MinuteWindowTests {
    @Test("counts the 60 seconds up to now; older seconds fall out, a reused slot starts again")
    func window() {
        var window = MinuteWindow()
        #expect(window.total(at: 0) == 0)
        window.add(5, at: 0)
        window.add(2, at: 0)
        window.add(3, at: 30)
        #expect(window.total(at: 30) == 10)
        #expect(window.total(at: 59) == 10)
        // Second 0 is 60 s old at 60: out.
        #expect(window.total(at: 60) == 3)
        // Second 60 reuses second 0's slot.
        window.add(4, at: 60)
        #expect(window.total(at: 60) == 7)
        #expect(window.total(at: 90) == 4)
        #expect(window.total(at: 200) == 0)
    }
}
