import BallastCore
import BallastTesting
import Foundation
import Upstream
import BallastSimulator

/// The demo's offered load on one path: the script's segments, each an open-loop Poisson
/// run of its own started at its offset (runs overlap while stragglers finish, so arrivals
/// stay open-loop across the boundaries). Both paths get the same seeds, so the same
/// arrivals and the same requests.
struct DemoLoad: Sendable {
    let client: UpstreamClient
    let script: DemoScript
    /// The start of the load, on `SystemClock`.
    let origin: MonotonicInstant

    /// - Parameter headers: the request headers, read at each arrival (the unprotected app's
    ///   token changes during the run).
    func run(
        baseURL: String, headers: @escaping @Sendable () -> HTTPHeaders,
        onComplete: @escaping @Sendable (LoadOutcome) -> Void
    ) async {
        let generator = LoadGenerator(client: client)
        let clock = SystemClock()
        await withTaskGroup(of: Void.self) { group in
            for (number, segment) in script.segments.enumerated() where segment.rate > 0 && segment.seconds > 0 {
                group.addTask {
                    let wait = origin.adding(seconds: segment.start).seconds(since: clock.now())
                    if wait > 0 { try? await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
                    var plan = LoadPlan(
                        rate: segment.rate, duration: segment.seconds,
                        maxRequests: Int(segment.rate * segment.seconds * 2) + 10, drainTimeout: 30,
                        seed: script.seed &+ UInt64(number)
                    ) { index, random in
                        Self.request(baseURL: baseURL, headers: headers(), segment: number, index: index, random: random)
                    }
                    plan.onComplete = onComplete
                    _ = await generator.run(plan)
                }
            }
        }
    }

    /// 30% streamed; 50 distinct prompts, so many requests repeat one. `max_tokens` is above
    /// the first degradation level's cap, so a degraded answer says so.
    static func request(baseURL: String, headers: HTTPHeaders, segment: Int, index: Int, random: Double) -> UpstreamRequest {
        let stream = random < 0.3
        let body =
            #"{"model":"\#(DemoScript.model)","max_tokens":4096,"stream":\#(stream),"#
            + #""messages":[{"role":"user","content":"Question \#((segment * 7919 + index) % 50)"}]}"#
        return UpstreamRequest(
            url: baseURL + "/v1/messages", headers: headers, body: Array(body.utf8),
            timeouts: UpstreamTimeouts(connect: 1, firstByte: 20, idle: 10, total: 60))
    }
}
