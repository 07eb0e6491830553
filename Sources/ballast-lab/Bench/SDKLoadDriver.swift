import BallastTesting
import Foundation

/// Runs `bench/sdk_load.py` (the official `anthropic` SDK, open loop) with the project's venv
/// as a child process, so the "SDK" ways of the resilience benchmarks measure the real SDK's
/// retries rather than an imitation of them.
struct SDKLoadDriver: Sendable {
    /// The repository root: where `bench/sdk_load.py` and `.venv` are.
    let root: URL

    /// The environment variable that carries the OAuth client secret to the driver and to
    /// `ballast serve` (secrets go through the environment, never the command line).
    static let secretEnvironment = "BENCH_OAUTH_SECRET"

    var python: URL { root.appendingPathComponent(".venv/bin/python") }
    var script: URL { root.appendingPathComponent("bench/sdk_load.py") }

    /// Finds the repository from the working directory upwards and checks that the venv can
    /// import the SDK. The error says what to run when it cannot (`make venv`).
    static func locate() throws -> SDKLoadDriver {
        var directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("bench/sdk_load.py").path) {
            let parent = directory.deletingLastPathComponent()
            guard parent.path != directory.path else {
                throw BenchError.processFailed(
                    "bench/sdk_load.py not found from \(FileManager.default.currentDirectoryPath) upwards; run `ballast-lab bench` from the repository")
            }
            directory = parent
        }
        let driver = SDKLoadDriver(root: directory)
        guard FileManager.default.isExecutableFile(atPath: driver.python.path) else {
            throw BenchError.processFailed("no Python venv at \(driver.python.path); run `make venv` (it installs the anthropic SDK)")
        }
        guard try ChildProcess(driver.python.path, ["-c", "import anthropic, httpx"]).wait() == .exited(0) else {
            throw BenchError.processFailed("the venv at \(driver.python.path) cannot import anthropic; run `make venv`")
        }
        return driver
    }

    /// Runs the driver to the end (it stops by itself; a watchdog ends it a minute after it
    /// should have) and reads its JSON.
    func run(_ options: SDKLoadOptions, context: BenchContext) async throws -> SDKLoadResult {
        let base = context.directory.appendingPathComponent("sdk-\(options.label)-\(UUID().uuidString.prefix(8))")
        let outputPath = base.path + ".json"
        let logPath = base.path + ".log"
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else {
            throw BenchError.processFailed("cannot create \(logPath)")
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        defer { try? log.close() }
        let process = try ChildProcess(
            python.path, [script.path] + options.arguments + ["--output", outputPath], directory: root.path,
            environment: options.environment, output: .file(log), errors: .file(log))
        let limit = options.schedule.totalSeconds + options.drain + 60
        DispatchQueue.global().asyncAfter(deadline: .now() + limit) { process.terminate() }
        let ending = await process.waitDetached()
        guard ending == .exited(0), let data = FileManager.default.contents(atPath: outputPath) else {
            let tail = (try? String(contentsOfFile: logPath, encoding: .utf8)).map { String($0.suffix(2000)) } ?? ""
            throw BenchError.processFailed("bench/sdk_load.py (\(options.label)) exited with \(ending): \(tail)")
        }
        return try SDKLoadResult(data: data)
    }
}
