import Foundation
import BallastConfig
import Testing

@Suite struct SharedConfigTests {
    @Test("absent: Ballast runs alone")
    func absent() throws {
        let config = try GatewayConfig.parse(minimalRegions, file: "ballast.yaml")
        #expect(!config.shared.isEnabled)
    }

    @Test("a full section is read; the password stays an environment variable's name")
    func full() throws {
        let config = try GatewayConfig.parse(
            minimalRegions + """

                shared:
                  redis:
                    url: "redis://10.0.0.5:6380/2"
                    key_prefix: "prod:"
                    password_env: REDIS_PASSWORD
                    local_share: 25%
                    command_timeout: 100ms
                """, file: "ballast.yaml")
        let redis = try #require(config.shared.redis)
        #expect(redis.host == "10.0.0.5" && redis.port == 6380 && redis.database == 2)
        #expect(redis.keyPrefix == "prod:" && redis.passwordEnv == "REDIS_PASSWORD")
        #expect(redis.localShare == 0.25 && redis.commandTimeout == .seconds(0.1))
    }

    @Test("TLS from a rediss:// URL or a tls section; files are checked and resolved against the config's directory")
    func tls() throws {
        let plain = try GatewayConfig.parse(
            minimalRegions + """

                shared:
                  redis: { url: "rediss://cache.internal:6380" }
                """, file: "ballast.yaml")
        #expect(plain.shared.redis?.tls == RedisTLSConfig())
        #expect(plain.shared.redis?.port == 6380)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-redis-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "ca".write(toFile: directory + "/ca.pem", atomically: true, encoding: .utf8)
        let section = try GatewayConfig.parse(
            minimalRegions + """

                shared:
                  redis:
                    url: "redis://10.0.0.5:6379"
                    tls: { ca_file: ca.pem, server_name: redis.internal }
                """, file: directory + "/ballast.yaml", baseDirectory: directory)
        #expect(section.shared.redis?.tls == RedisTLSConfig(caFile: directory + "/ca.pem", serverName: "redis.internal"))
        let on = try GatewayConfig.parse(
            minimalRegions + """

                shared:
                  redis: { url: "redis://cache:6379", tls: true }
                """, file: "ballast.yaml")
        #expect(on.shared.redis?.tls == RedisTLSConfig())
    }

    @Test("contradictions, unreadable files, passwords in URLs, bad shares and unknown keys are refused at their position")
    func errors() {
        let issues = configIssues(
            minimalRegions + """

                shared:
                  redis:
                    url: "rediss://cache:6379"
                    tls: false
                    password_env: sk-not-a-name
                    local_share: 0
                    colour: blue
                """)
        #expect(positions(issues) == ["7:10", "8:19", "9:18", "10:5"])
        #expect(issues[0].message.contains("contradicts the rediss:// url"))
        #expect(!issues.map(\.message).joined().contains("sk-not-a-name"))
        let files = configIssues(
            minimalRegions + """

                shared:
                  redis:
                    url: "redis://cache:6379"
                    tls: { ca_file: /nonexistent/ca.pem, client_key_file: key.pem, verify: false }
                """)
        #expect(files.map(\.message).contains { $0.contains("'shared.redis.tls.ca_file': /nonexistent/ca.pem: cannot open file") })
        #expect(files.map(\.message).contains { $0.contains("unknown key 'verify'") })
        #expect(files.map(\.message).contains { $0.contains("needs 'client_cert_file'") })
        let inURL = configIssues(
            minimalRegions + """

                shared:
                  redis: { url: "redis://:secret@cache:6379" }
                """)
        #expect(inURL.count == 1 && inURL[0].message.contains("password goes in the variable named by password_env"))
    }
}
