import BallastConfig
import BallastTesting
import Foundation
@testable import BallastSimulator

/// A simulator with one fast region, started for one test.
func startSimulator(
    _ region: SimulatedRegionConfig = SimulatedRegionConfig(), seed: UInt64 = 42,
    clock: ManualClock? = nil
) throws -> Simulator {
    let config = SimulatorConfig(seed: seed, regions: [region])
    let simulator = clock.map { Simulator(config: config, clock: $0) } ?? Simulator(config: config)
    try simulator.start()
    return simulator
}

/// A Messages API body.
func messagesBody(
    _ text: String = "Hello, simulator", model: String = "claude-sonnet-4-5", maxTokens: Int = 1024,
    stream: Bool = false
) -> String {
    let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    return #"{"model":"\#(model)","max_tokens":\#(maxTokens),"#
        + (stream ? #""stream":true,"# : "")
        + #""messages":[{"role":"user","content":"\#(escaped)"}]}"#
}

/// Decodes a JSON object body.
func jsonObject(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
}

/// One server-sent event.
struct SSEEvent {
    var name: String
    var data: [String: Any]
}

/// Splits an SSE body into its events.
func parseSSE(_ body: String) -> [SSEEvent] {
    body.components(separatedBy: "\n\n").compactMap { block in
        var name = ""
        var data = ""
        for line in block.split(separator: "\n") {
            if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
        }
        guard !name.isEmpty, let object = jsonObject(data) else { return nil }
        return SSEEvent(name: name, data: object)
    }
}

/// Waits (briefly) until `condition` holds; for stats updated from server threads.
func eventually(timeout: Double = 3, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
