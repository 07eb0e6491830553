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
        let config = try GatewayConfig.parse(minimalRegions + """

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
        #expect(redis.localShare == 0.25 && redis.commandTimeout == 0.1)
    }

    @Test("TLS, passwords in URLs, bad shares and unknown keys are refused at their position")
    func errors() {
        let issues = configIssues(minimalRegions + """

            shared:
              redis:
                url: "rediss://cache:6379"
                tls: true
                password_env: sk-not-a-name
                local_share: 0
                colour: blue
            """)
        #expect(positions(issues) == ["6:10", "7:10", "8:19", "9:18", "10:5"])
        #expect(issues[0].message.contains("TLS (rediss://) is not supported"))
        #expect(issues[1].message.contains("TLS is not supported"))
        #expect(!issues.map(\.message).joined().contains("sk-not-a-name"))
        let inURL = configIssues(minimalRegions + """

            shared:
              redis: { url: "redis://:secret@cache:6379" }
            """)
        #expect(inURL.count == 1 && inURL[0].message.contains("password goes in the variable named by password_env"))
    }
}
