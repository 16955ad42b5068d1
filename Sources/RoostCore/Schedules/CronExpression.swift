public import Foundation

/// A 5-field cron expression (`minute hour day-of-month month day-of-week`) in an IANA time
/// zone, as crontab(5) has it: `*`, numbers, ranges `a-b`, lists `a,b`, steps `*/n` and `a-b/n`,
/// month and day names (`jan`, `mon`), 0 or 7 for Sunday. When both day fields are restricted a
/// day matching either one fires. Local times a DST change skips fire at the first minute that
/// exists after them; times it repeats fire once.
public struct CronExpression: Sendable, Hashable {
    public let text: String
    public let timeZone: TimeZone
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    /// Parses `text` for `zone` (an IANA name such as `Europe/Berlin`; default UTC).
    public init(_ text: String, timeZone zone: String = "UTC") throws(CronError) {
        guard let tz = TimeZone(identifier: zone) else { throw CronError("unknown time zone '\(zone)'") }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw CronError("a cron expression has 5 fields (minute hour day month weekday), '\(text)' has \(fields.count)")
        }
        let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        self.text = text
        self.timeZone = tz
        minutes = try Self.field(fields[0], "minute", 0...59)
        hours = try Self.field(fields[1], "hour", 0...23)
        days = try Self.field(fields[2], "day of month", 1...31)
        months = try Self.field(fields[3], "month", 1...12, names: monthNames, firstName: 1)
        var weekdays = try Self.field(fields[4], "day of week", 0...7, names: dayNames, firstName: 0)
        if weekdays.remove(7) != nil { weekdays.insert(0) }
        self.weekdays = weekdays
        daysRestricted = !fields[2].hasPrefix("*")
        weekdaysRestricted = !fields[4].hasPrefix("*")
    }

    private static func field(
        _ text: String, _ name: String, _ range: ClosedRange<Int>, names: [String] = [], firstName: Int = 0
    ) throws(CronError) -> Set<Int> {
        func value(_ s: Substring) throws(CronError) -> Int {
            if let n = Int(s), range.contains(n) { return n }
            if let i = names.firstIndex(of: s.lowercased()) { return i + firstName }
            throw CronError("'\(s)' is not a valid \(name) (\(range.lowerBound)-\(range.upperBound))")
        }
        var out: Set<Int> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, let base = pieces.first, !base.isEmpty else {
                throw CronError("'\(part)' is not a valid \(name)")
            }
            var step = 1
            if pieces.count == 2 {
                guard let n = Int(pieces[1]), n >= 1 else { throw CronError("'\(part)': the step must be 1 or more") }
                step = n
            }
            var low = range.lowerBound
            var high = range.upperBound
            if base != "*" {
                let bounds = base.split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2 else { throw CronError("'\(part)' is not a valid \(name)") }
                low = try value(bounds[0])
                high = bounds.count == 2 ? try value(bounds[1]) : (pieces.count == 2 ? range.upperBound : low)
                guard low <= high else { throw CronError("'\(part)': the range runs backwards") }
            }
            out.formUnion(stride(from: low, through: high, by: step))
        }
        return out
    }

    /// The first time after `after` (epoch ms) the expression fires, in epoch ms; nil when it
    /// never does within five years (e.g. `0 0 30 2 *`).
    public func next(after: Int64) -> Int64? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let start = Date(timeIntervalSince1970: Double(after) / 1000)
        guard var day = calendar.dateInterval(of: .day, for: start)?.start else { return nil }
        let sortedHours = hours.sorted()
        let sortedMinutes = minutes.sorted()
        for _ in 0..<(366 * 5) {
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            if let month = parts.month, let dom = parts.day, let weekday = parts.weekday, months.contains(month),
                dayMatches(dom, weekday - 1)
            {
                for hour in sortedHours {
                    for minute in sortedMinutes {
                        var c = DateComponents()
                        (c.year, c.month, c.day, c.hour, c.minute) = (parts.year, month, dom, hour, minute)
                        // A skipped local time resolves to the next one that exists.
                        guard let date = calendar.date(from: c) else { continue }
                        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded())
                        if ms > after { return ms }
                    }
                }
            }
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
            day = calendar.startOfDay(for: next)
        }
        return nil
    }

    private func dayMatches(_ dom: Int, _ weekday: Int) -> Bool {
        switch (daysRestricted, weekdaysRestricted) {
        case (true, true): days.contains(dom) || weekdays.contains(weekday)
        case (true, false): days.contains(dom)
        case (false, true): weekdays.contains(weekday)
        case (false, false): true
        }
    }
}

/// Why a cron expression or its zone was refused.
public struct CronError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
