import ArgumentParser
import Logging
import RoostServer

/// `roost migrate`: applies pending database migrations and exits.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending database migrations and exit.",
        discussion: "Example: roost migrate --database postgres://roost:secret@127.0.0.1:5432/roost")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let location = try database.location()
        let stores = try await RoostStores.open(location, logger: Logger(label: "roost.store"))
        await stores.close()
        print("migrations applied to \(location)")
    }
}
