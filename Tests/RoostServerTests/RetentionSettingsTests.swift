import Foundation
import RoostCore
import RoostServer
import Testing

@Suite("Settings: retention.*")
struct RetentionSettingsTests {
    @Test("defaults keep everything; days by default and per tenant (0: forever); cutoffs; bad values refused")
    func retention() throws {
        let none = try RoostConfiguration(settings: try Settings(configFile: nil, environment: [:])).retention
        #expect(!none.isActive && none.rawCutoff(tenant: "t0", now: 1_000_000_000) == nil)

        let path = try SettingsTests.file(
            "roost.toml",
            "[retention]\nraw_days = 30\nrollup_days = 365\ninterval = 60\nbatch_size = 100\n[retention.tenant_raw_days]\nacme = 0\nbig = 90\n")
        let r = try RoostConfiguration(settings: try Settings(configFile: path, environment: [:])).retention
        let now: Int64 = 100 * 86_400_000
        #expect(r.isActive && r.interval == 60 && r.batchSize == 100)
        #expect(r.rawCutoff(tenant: "t0", now: now) == now - 30 * 86_400_000)
        #expect(r.rawCutoff(tenant: "acme", now: now) == nil, "0 keeps acme's raw rows")
        #expect(r.rawCutoff(tenant: "big", now: now) == now - 90 * 86_400_000)
        #expect(r.rollupCutoff(tenant: "acme", now: now) == now - 365 * 86_400_000)

        for (key, value) in [("ROOST_RETENTION_RAW_DAYS", "-1"), ("ROOST_RETENTION_INTERVAL", "0"), ("ROOST_RETENTION_BATCH_SIZE", "0")] {
            #expect(throws: SettingsError.self, "\(key)=\(value)") {
                try RoostConfiguration(settings: try Settings(configFile: nil, environment: [key: value]))
            }
        }
    }
}
