import Foundation
import RoostCore
import RoostStore
import Testing

/// Cron expressions and the due times of schedules.
@Suite("Cron and schedule times")
struct CronExpressionTests {
    /// Epoch ms of a wall-clock time in `zone`.
    static func ms(_ text: String, _ zone: String = "UTC") -> Int64 {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: zone)
        f.dateFormat = "yyyy-MM-dd HH:mm"
        return Int64(f.date(from: text)!.timeIntervalSince1970 * 1000)
    }

    @Test("fields: lists, ranges, steps, names, Sunday as 0 or 7, day-of-month OR day-of-week")
    func fields() throws {
        let weekdays = try CronExpression("30 6 * * mon-fri")
        // 2026-12-05 is a Saturday: the next is Monday 06:30.
        #expect(weekdays.next(after: Self.ms("2026-12-05 12:00")) == Self.ms("2026-12-07 06:30"))
        #expect(weekdays.next(after: Self.ms("2026-12-07 06:29")) == Self.ms("2026-12-07 06:30"))
        #expect(weekdays.next(after: Self.ms("2026-12-07 06:30")) == Self.ms("2026-12-08 06:30"))
        let steps = try CronExpression("*/15 9-10 * * *")
        #expect(steps.next(after: Self.ms("2026-12-03 10:50")) == Self.ms("2026-12-04 09:00"))
        #expect(steps.next(after: Self.ms("2026-12-03 09:14")) == Self.ms("2026-12-03 09:15"))
        #expect(try CronExpression("0 0 * * 7").next(after: Self.ms("2026-12-03 00:00")) == Self.ms("2026-12-06 00:00"))
        #expect(try CronExpression("0 0 1,15 jan *").next(after: Self.ms("2026-12-03 00:00")) == Self.ms("2027-01-01 00:00"))
        // Both day fields restricted: the 1st of the month or any Friday.
        let either = try CronExpression("0 12 1 * fri")
        #expect(either.next(after: Self.ms("2026-12-03 13:00")) == Self.ms("2026-12-04 12:00"))
        #expect(try CronExpression("0 0 30 2 *").next(after: Self.ms("2026-12-03 00:00")) == nil)
    }

    @Test("time zones and DST: local wall-clock times, a skipped hour fires after it")
    func zones() throws {
        let berlin = try CronExpression("0 6 * * *", timeZone: "Europe/Berlin")
        #expect(berlin.next(after: Self.ms("2026-12-03 06:00")) == Self.ms("2026-12-04 06:00", "Europe/Berlin"))
        #expect(Self.ms("2026-12-04 06:00", "Europe/Berlin") == Self.ms("2026-12-04 05:00"))
        // 2027-03-28 02:30 does not exist in Berlin (clocks go 02:00 → 03:00).
        let skipped = try CronExpression("30 2 * * *", timeZone: "Europe/Berlin")
        let next = try #require(skipped.next(after: Self.ms("2027-03-27 12:00", "Europe/Berlin")))
        #expect(next > Self.ms("2027-03-28 01:00", "Europe/Berlin") && next <= Self.ms("2027-03-28 04:00", "Europe/Berlin"))
    }

    @Test("bad expressions are refused with a reason", arguments: [
        "* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "5-1 * * * *", "*/0 * * * *",
        "a * * * *", "1,,2 * * * *",
    ])
    func refused(_ text: String) {
        #expect(throws: CronError.self) { _ = try CronExpression(text) }
    }

    @Test("an unknown zone is refused")
    func zone() {
        #expect(throws: CronError.self) { _ = try CronExpression("* * * * *", timeZone: "Mars/Olympus") }
    }

    @Test("plans: the latest due time to fire, those passed over, the next one")
    func plans() {
        let due: Int64 = 1_000_000
        let every = ScheduleTimes.plan(.every(10), due: due, now: due + 35_000)
        #expect(every.latest == due + 30_000 && every.passed == 3 && every.next == due + 40_000)
        #expect(ScheduleTimes.plan(.every(10), due: due, now: due).next == due + 10_000)
        let once = ScheduleTimes.plan(.at(due), due: due, now: due + 5)
        #expect(once.latest == due && once.next == nil)
        let start = Self.ms("2026-12-03 10:00")
        let cron = ScheduleTimes.plan(.cron("*/5 * * * *", timeZone: "UTC"), due: start, now: start + 12 * 60_000)
        #expect(cron.latest == start + 10 * 60_000 && cron.passed == 2 && cron.next == start + 15 * 60_000)
    }
}
