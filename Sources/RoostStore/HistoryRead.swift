/// What a history read found for a device the caller may see
/// (``TelemetryStore/historyPage(_:tenantID:unlessVersion:)``).
///
/// A device's *data version* is a token its telemetry writes replace, in the transaction that
/// writes the rows: the same version means the same rows. Tokens are random 64-bit values, so a
/// device deleted and made again under the same id never shows an old one.
public enum HistoryRead: Sendable, Hashable {
    /// The device's data version is the one the caller gave: nothing was read.
    case unchanged
    /// The page, and the device's data version read no later than the page (nil when the device
    /// has none yet: such a page is not to be kept).
    case page(HistoryPage, version: Int64?)

    /// The page, if one was read.
    public var page: HistoryPage? {
        if case .page(let page, _) = self { return page }
        return nil
    }
}

extension IngestBatch {
    /// A fresh data version for the devices a batch writes (see ``HistoryRead``); never 0, so
    /// 0 can stand for "none" where a store needs a number.
    public static func newDataVersion() -> Int64 {
        var v: Int64 = 0
        while v == 0 { v = Int64.random(in: .min ... .max) }
        return v
    }
}
