import BallastConfig
import Testing

@Suite struct ConfigPathTests {
    @Test func directoryOfAPath() {
        #expect(ConfigPath.directory(of: "/etc/ballast/ballast.yaml") == "/etc/ballast")
        #expect(ConfigPath.directory(of: "conf/ballast.yaml") == "conf")
        #expect(ConfigPath.directory(of: "ballast.yaml") == ".")
        #expect(ConfigPath.directory(of: "/ballast.yaml") == "/")
    }

    @Test func resolve() {
        #expect(ConfigPath.resolve("rules/*.yaml", against: "/etc/ballast") == "/etc/ballast/rules/*.yaml")
        #expect(ConfigPath.resolve("./ballast.db", against: "/etc/ballast/") == "/etc/ballast/ballast.db")
        #expect(ConfigPath.resolve("../shared/key", against: "conf") == "conf/../shared/key")
        #expect(ConfigPath.resolve("/abs/key", against: "/etc/ballast") == "/abs/key")
        #expect(ConfigPath.resolve(":memory:", against: "/etc/ballast") == ":memory:")
        #expect(ConfigPath.resolve("./ballast.db", against: ".") == "./ballast.db")
        #expect(ConfigPath.resolve("./ballast.db", against: nil) == "./ballast.db")
        #expect(ConfigPath.resolve("db", against: "/") == "/db")
    }
}
