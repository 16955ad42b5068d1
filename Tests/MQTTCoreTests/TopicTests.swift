import MQTTCore
import Testing

@Suite("Topics")
struct TopicTests {
    @Test(
        "filter validity",
        arguments: [
            ("#", true), ("+", true), ("a/#", true), ("a/+/b", true), ("+/+", true), ("/", true), ("a//b", true),
            ("$SYS/#", true), ("$share/g/a/#", true), ("$share/g/#", true),
            ("", false), ("a/#/b", false), ("a+", false), ("a/b#", false), ("#/a", false), ("+a/b", false),
            ("$share/g", false), ("$share//a", false), ("$share/g+/a", false), ("$share/g#/a", false),
            ("$share/g/", false),
        ])
    func filters(_ filter: String, _ valid: Bool) {
        #expect(Topic.isValidFilter(filter) == valid)
    }

    @Test(
        "name validity",
        arguments: [
            ("a/b", true), ("/", true), ("$SYS/x", true), ("a b", true),
            ("", false), ("a/+", false), ("#", false), ("a/b#", false),
        ])
    func names(_ name: String, _ valid: Bool) {
        #expect(Topic.isValidName(name) == valid)
    }

    @Test(
        "matching",
        arguments: [
            ("a/b", "a/b", true), ("a/+", "a/b", true), ("a/+", "a/b/c", false), ("a/#", "a", true),
            ("a/#", "a/b/c", true), ("#", "a/b", true), ("+/+", "a/b", true), ("+", "a/b", false),
            ("+/b", "/b", true), ("a/+/c", "a//c", true), ("#", "$SYS/x", false), ("+/x", "$SYS/x", false),
            ("$SYS/#", "$SYS/broker/uptime", true), ("a/b", "a/c", false), ("a/b/#", "a/b", true), ("/+", "/a", true),
            ("sport/tennis/+", "sport/tennis/player1", true), ("sport/+", "sport/", true), ("sport/#", "sport", true),
        ])
    func matching(_ filter: String, _ name: String, _ matches: Bool) {
        #expect(Topic.matches(filter: filter, name: name) == matches)
    }

    @Test("shared filters parse into group and filter")
    func shared() throws {
        let s = try #require(SharedFilter("$share/workers/jobs/+/new"))
        #expect(s.group == "workers")
        #expect(s.filter == "jobs/+/new")
        #expect(SharedFilter("jobs/#") == nil)
    }
}
