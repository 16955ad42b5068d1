import NIOCore
import Testing

@testable import RoostPostgres

/// The COPY text the PostgreSQL ingest writes: integers in place, text escaped only when needed.
@Suite("PostgreSQL COPY text")
struct PostgresCopyTextTests {
    @Test("integers are their decimal text")
    func integers() {
        for n: Int64 in [0, 9, 10, 99, 100, -1, -10, 1_764_165_277_123, .max, .min] {
            var buffer = ByteBuffer()
            PostgresIngestStore.writeInteger(n, to: &buffer)
            #expect(String(buffer: buffer) == String(n))
        }
    }

    @Test("backslash, tab, newline and carriage return are escaped; other text is copied")
    func escaped() {
        for (text, expected) in [
            ("plain {\"a\":1} é😀", "plain {\"a\":1} é😀"), ("a\\b\tc\nd\re", "a\\\\b\\tc\\nd\\re"), ("", ""),
        ] {
            var buffer = ByteBuffer()
            PostgresIngestStore.writeEscaped(text, to: &buffer)
            #expect(String(buffer: buffer) == expected)
        }
    }
}
