import Foundation
import RoostServer
import RoostStore
import TestSupport
import Testing

/// `roost backup` beside a running server, and the restore docs/operations.md describes.
@Suite("roost backup")
struct BackupTests {
    @Test("an online SQLite backup while the server runs; restored, the store opens (migrated) with the data; PostgreSQL gets the pg_dump commands")
    func backupAndRestore() async throws {
        let server = try await APITestServer.start(.sqlite)
        let dataDir = server.app.configuration.dataDir
        let created = try await server.http().post("/api/v1/devices", ["uid": "backed-up"])
        #expect(created.status == 201)
        let cli = try CLITests.CLI(httpPort: server.httpPort)
        let output = cli.home.appendingPathComponent("roost-backup.sqlite").path

        let backup = try await cli.run(["backup", "--data-dir", dataDir, "--output", output])
        #expect(backup.status == 0 && backup.out.contains("backed up"), "\(backup)")
        let again = try await cli.run(["backup", "--data-dir", dataDir, "--output", output])
        #expect(again.status != 0 && again.err.contains("exists already"), "\(again)")
        let postgres = try await cli.run(["backup", "--database", "postgres://roost@db:5432/roost", "--output", "x.dump"])
        #expect(postgres.status != 0 && postgres.err.contains("pg_dump --format=custom"), "\(postgres)")
        await server.stop()

        // Restore: the backup becomes roost.sqlite of a new data directory.
        let restored = cli.home.appendingPathComponent("restored")
        try FileManager.default.createDirectory(at: restored, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: output, toPath: restored.appendingPathComponent("roost.sqlite").path)
        let devices = try await RoostStores.withAPIStore(.sqlite(path: restored.appendingPathComponent("roost.sqlite").path, synchronousFull: false)) { store in
            try await store.devices(DeviceQuery(limit: 10)).devices.map(\.uid)
        }
        #expect(devices.contains("backed-up"))
    }
}
