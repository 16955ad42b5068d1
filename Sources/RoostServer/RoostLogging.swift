import Foundation
public import Logging

/// Logging for every `roost` command, on standard error: `console` (human) or `json` (one
/// object per line: time, level, label, message and metadata such as `hb.request.id`).
public func bootstrapLogging(_ level: Logger.Level, format: String = "console") {
    LoggingSystem.bootstrap { label in
        if format == "json" {
            var handler = JSONLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}
