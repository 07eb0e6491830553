import BallastTesting
import CommandLineSupport
import Foundation

/// `ballast serve` as a child process, so a benchmark measures Ballast's own memory and
/// its CPU is separate from the load generator's and the simulator's.
final class BallastProcess: @unchecked Sendable {
    let process: ChildProcess
    let proxyAddress: String
    let adminAddress: String
    let configPath: String

    init(configYAML: String, directory: URL, environment: [String: String]) throws {
        configPath = directory.appendingPathComponent("ballast-\(UUID().uuidString.prefix(8)).yaml").path
        try configYAML.write(toFile: configPath, atomically: true, encoding: .utf8)
        let readyPath = configPath + ".ready.json"
        // Its warnings go where the lab's own output goes.
        process = try ChildProcess(
            CommandLine.ballastPath, ["serve", "--config", configPath, "--ready-file", readyPath, "--log-level", "warning"],
            environment: environment, output: .inherit, errors: .inherit)
        let deadline = Date().addingTimeInterval(20)
        // A child that never became ready is killed here (it serves nothing to drain): nothing
        // else holds it to stop later.
        let child = process
        func giveUp(_ error: any Error) -> any Error {
            child.kill()
            child.wait()
            return error
        }
        while !FileManager.default.fileExists(atPath: readyPath) {
            guard process.isRunning, Date() < deadline else {
                throw giveUp(BenchError.processFailed("ballast serve did not become ready"))
            }
            usleep(10_000)
        }
        let ready: ReadyFile.Serve
        do {
            ready = try ReadyFile.read(ReadyFile.Serve.self, from: readyPath)
        } catch {
            throw giveUp(error)
        }
        proxyAddress = ready.proxy
        adminAddress = ready.admin
    }

    /// Resident memory of the child, from /proc, in bytes.
    var residentBytes: Double {
        guard let status = try? String(contentsOfFile: "/proc/\(process.pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kib = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kib * 1024
    }

    func stop() {
        process.terminate()
        process.wait()
    }
}

extension CommandLine {
    /// The `ballast` binary the lab runs: `BALLAST_BIN` if set, else the one beside this
    /// `ballast-lab` (the same build: `swift build` puts both products in one folder).
    static var ballastPath: String {
        if let path = ProcessInfo.processInfo.environment["BALLAST_BIN"], !path.isEmpty { return path }
        let lab = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? arguments[0]
        return URL(fileURLWithPath: lab).deletingLastPathComponent().appendingPathComponent("ballast").path
    }
}
