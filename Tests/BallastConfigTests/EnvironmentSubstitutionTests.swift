import BallastConfig
import Testing

@Suite struct EnvironmentSubstitutionTests {
    let environment = ["PORT": "9000", "EMPTY": "", "HOST": "10.0.0.7"]

    func expand(_ text: String) -> EnvironmentSubstitution.Result {
        EnvironmentSubstitution.expand(text, environment: environment)
    }

    @Test func referencesAndDefaultsFollowTheShell() {
        #expect(expand("${HOST}:${PORT}") == .text("10.0.0.7:9000"))
        #expect(expand("${MISSING:-127.0.0.1}:8080") == .text("127.0.0.1:8080"))
        // `:-` takes the default for an empty variable too; a plain reference keeps it empty.
        #expect(expand("a${EMPTY:-b}c") == .text("abc"))
        #expect(expand("a${EMPTY}c") == .text("ac"))
        #expect(expand("${MISSING:-}") == .text(""))
        #expect(expand("${PORT:-1}") == .text("9000"))
    }

    @Test func dollarsThatAreNotReferencesStayAsWritten() {
        #expect(expand("price$5 and ^end$") == .text("price$5 and ^end$"))
        #expect(expand("$${PORT} is literal") == .text("${PORT} is literal"))
        #expect(expand("no reference") == .text("no reference"))
    }

    @Test func everyProblemIsReportedWithItsOffset() {
        guard case .problems(let problems) = expand("${MISSING}/${1BAD}/${PORT}") else {
            Issue.record("expected problems")
            return
        }
        #expect(problems.map(\.offset) == [0, 11])
        #expect(problems[0].message == "environment variable MISSING is not set (give a default with ${MISSING:-value})")
        #expect(problems[1].message.contains("must name an environment variable"))
        guard case .problems(let unclosed) = expand("x${PORT") else {
            Issue.record("expected a problem")
            return
        }
        #expect(unclosed.map(\.offset) == [1])
    }

    @Test func configScalarsAreSubstitutedBeforeTheyAreRead() throws {
        let config = try GatewayConfig.parse(
            """
            listen: "${LISTEN_HOST:-127.0.0.1}:${PORT}"
            admin: { listen: "127.0.0.1:${ADMIN_PORT:-9091}" }
            shutdown: { delay: "${DELAY:-3s}" }
            upstream:
              regions:
                - { name: primary, base_url: "http://${HOST}:8443" }
            """, file: "ballast.yaml", environment: environment)
        #expect(config.listen == ListenAddress(host: "127.0.0.1", port: 9000))
        #expect(config.admin.listen.port == 9091)
        #expect(config.shutdown.delay == .seconds(3))
        #expect(config.upstream.regions.first?.baseURL == "http://10.0.0.7:8443")
    }

    @Test func unsetVariablesAreConfigErrorsAtTheirColumnAllInOnePass() {
        let issues: [ConfigIssue]
        do {
            _ = try GatewayConfig.parse(
                """
                listen: 127.0.0.1:${NO_PORT}
                admin: { listen: "x" }
                upstream:
                  regions:
                    - { name: primary, base_url: "${NO_URL}" }
                """, file: "ballast.yaml", environment: environment)
            Issue.record("expected errors")
            return
        } catch {
            issues = error.issues
        }
        // A plain scalar points at the reference; a quoted one at the scalar. The bad admin
        // address is reported in the same pass; an unresolved scalar is not reported again
        // as a bad address or URL.
        #expect(positions(issues) == ["1:19", "2:18", "5:34"], "\(issues)")
        #expect(issues[0].message.contains("NO_PORT is not set"))
        #expect(issues[2].message.contains("NO_URL is not set"))
    }

    @Test func keysAreNotSubstituted() {
        let issues = configIssues("${KEY}: 1\n" + minimalRegions)
        #expect(issues.first?.message.contains("unknown key '${KEY}'") == true)
    }
}
