public import RoostStore

/// The due times of a schedule's timing.
public enum ScheduleTimes {
    /// The first due time of a schedule made at `now`; nil when it would never fire.
    public static func first(_ timing: ScheduleTiming, now: Int64) throws(CronError) -> Int64? {
        switch timing {
        case .at(let t): t
        case .every(let s): now + s * 1000
        case .cron(let text, let zone): try CronExpression(text, timeZone: zone).next(after: now)
        }
    }

    /// Given the due time `due` and the time `now` (at or after it): the latest due time not
    /// after `now` (the one to fire), how many earlier ones it passes over, and the next one
    /// after `now` (nil: none).
    public static func plan(_ timing: ScheduleTiming, due: Int64, now: Int64) -> (
        latest: Int64, passed: Int, next: Int64?
    ) {
        switch timing {
        case .at:
            return (due, 0, nil)
        case .every(let s):
            let step = max(1, s) * 1000
            let k = max(0, (now - due) / step)
            let latest = due + k * step
            return (latest, Int(k), latest + step)
        case .cron(let text, let zone):
            guard let cron = try? CronExpression(text, timeZone: zone) else { return (due, 0, nil) }
            var latest = due
            var passed = 0
            // Bounded: after a very long stop the walk gives up and fires the last one found.
            while passed < 100_000, let n = cron.next(after: latest), n <= now {
                latest = n
                passed += 1
            }
            return (latest, passed, cron.next(after: max(latest, now)))
        }
    }
}
