import RoostCore
import RoostStore
import Testing

@Suite("Rollup builder")
struct RollupBuilderTests {
    static func numbers(_ data: String) -> [String: Double] {
        var out: [String: Double] = [:]
        RollupBuilder.forEachNumber(in: data) { key, value in out[key] = value }
        return out
    }

    @Test(
        "numeric leaves: numbers and booleans count, the rest does not",
        arguments: [
            (
                #"{"temp":21.5,"hum":40,"on":true,"off":false,"mode":"run","x":null}"#,
                ["temp": 21.5, "hum": 40, "on": 1, "off": 0]
            ),
            (#"{"a":-1.5e3,"b":0,"c":1E-2,"d":-0}"#, ["a": -1500, "b": 0, "c": 0.01, "d": 0]),
            (#"{"s":"say \"hi\"","n":2}"#, ["n": 2]),  // escapes in a skipped string value
            (#"{"k\"q":3,"n":1}"#, ["k\"q": 3, "n": 1]),  // an escaped key: the parser reads it
            (#"{"nested":{"a":1},"n":1}"#, ["n": 1]),  // not flat: the parser, objects skipped
            (#"{"list":[1,2],"n":5}"#, ["n": 5]),
            (#" { "spaced" : 7 } "#, ["spaced": 7]),
            ("{}", [:]),
            ("not json", [:]),
            (#"{"cut":1"#, [:]),
            ("[1,2]", [:]),
        ])
    func leaves(_ data: String, _ expected: [String: Double]) {
        #expect(Self.numbers(data) == expected)
    }

    @Test("floor to a step, before 1970 too")
    func floor() {
        #expect(RollupBuilder.floor(125_000, to: 60_000) == 120_000)
        #expect(RollupBuilder.floor(120_000, to: 60_000) == 120_000)
        #expect(RollupBuilder.floor(-1, to: 60_000) == -60_000)
        #expect(RollupBuilder.floor(-60_000, to: 60_000) == -60_000)
    }

    @Test("cells per device, key and minute; first and last by time, then storage order")
    func cells() {
        var b = RollupBuilder()
        b.add(RollupSourceRow(id: 1, device: 7, ts: 61_000, data: #"{"t":5}"#))
        b.add(RollupSourceRow(id: 2, device: 7, ts: 60_500, data: #"{"t":3,"h":1}"#))
        b.add(RollupSourceRow(id: 3, device: 7, ts: 61_000, data: #"{"t":9}"#))  // same time as id 1
        b.add(RollupSourceRow(id: 4, device: 7, ts: 120_000, data: #"{"t":1}"#))
        b.add(RollupSourceRow(id: 5, device: 8, ts: 60_000, data: #"{"t":2}"#))
        let cells = b.cells
        #expect(
            cells.map(\.key) == [
                RollupKey(device: 7, key: "h", minute: 60_000), RollupKey(device: 7, key: "t", minute: 60_000),
                RollupKey(device: 7, key: "t", minute: 120_000), RollupKey(device: 8, key: "t", minute: 60_000),
            ])
        let t = cells[1].cell
        #expect(t.count == 3 && t.sum == 17 && t.min == 3 && t.max == 9)
        #expect(t.firstTS == 60_500 && t.first == 3 && t.lastTS == 61_000 && t.last == 9)
        var merged = t
        merged.merge(RollupCell(ts: 61_000, value: 4))  // stored later, same time as the last
        #expect(merged.last == 4 && merged.first == 3 && merged.count == 4)
        merged.merge(RollupCell(ts: 60_500, value: 8))  // same time as the first: the first stays
        #expect(merged.first == 3 && merged.value(.avg) == 29.0 / 5)
    }
}
