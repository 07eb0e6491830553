import ArgumentParser
import Foundation
import Gateway
import RulesRuntime

/// `ballast fingerprint`: prints the fingerprint of a client key read from standard input, for
/// `migrations.key_groups` (the config names client keys by fingerprint, never by value).
struct FingerprintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fingerprint",
        abstract: "Print the fingerprint of a client API key read from standard input (for migrations.key_groups).")

    func run() throws {
        guard let line = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces), !line.isEmpty else {
            throw ValidationError("pipe the key in on standard input, e.g. `printenv CLIENT_KEY | ballast fingerprint`")
        }
        print(KeyFingerprint.of(line))
    }
}
