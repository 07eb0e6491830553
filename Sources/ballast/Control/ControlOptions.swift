import ArgumentParser
import Foundation

/// Where the control API is and how to authenticate, shared by the operator commands. The
/// token is read from an environment variable, never from the command line (where `ps` and
/// shell history would show it).
struct ControlOptions: ParsableArguments {
    @Option(name: .long, help: "The admin listener's URL (default: $BALLAST_ADMIN_URL, else http://127.0.0.1:9090).")
    var admin: String?

    @Option(name: .long, help: "The environment variable holding the admin token.")
    var tokenEnv: String = "BALLAST_ADMIN_TOKEN"

    @Flag(name: .long, help: "Print the API's JSON for scripts instead of tables.")
    var json = false

    func client() throws -> ControlClient {
        let environment = ProcessInfo.processInfo.environment
        guard let token = environment[tokenEnv], !token.isEmpty else {
            throw ValidationError("set \(tokenEnv) to the admin token (the value Ballast reads from admin.token_env)")
        }
        var base = admin ?? environment["BALLAST_ADMIN_URL"] ?? "http://127.0.0.1:9090"
        if !base.hasPrefix("http://") && !base.hasPrefix("https://") { base = "http://" + base }
        while base.hasSuffix("/") { base.removeLast() }
        return ControlClient(baseURL: base, token: token)
    }
}
