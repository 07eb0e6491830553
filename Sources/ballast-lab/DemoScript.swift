import Foundation

/// What the demo does and when: the fault phases, the offered load, and the configurations
/// of the simulators and of Ballast that play them. Pure values, so the live view, the
/// summary and the configs all read the same script.
struct DemoScript: Sendable {
    /// Seconds of load.
    let seconds: Double
    /// The base offered rate, requests per second, on each path.
    let rate: Double
    let seed: UInt64

    static let model = "claude-sonnet-4-6"
    /// The organisation's request limit as a multiple of the base rate. One limit for both
    /// regions, as the API has it: the standby adds no allowance (the first demo gave it a
    /// bucket of its own, and its "max QPS" came from capacity a real organisation lacks).
    static let limitFactor = 1.5
    /// In the 429 phase the load surges to `burstFactor` for `burstShare` of each cycle and
    /// drops to `quietFactor` for the rest: 3 x 0.4 + 0.4 x 0.6 = 1.44x the base rate on
    /// average, under the organisation's 1.5x limit, while each surge is twice that limit.
    static let burstFactor = 3.0
    static let quietFactor = 0.4
    static let burstShare = 0.4
    static let slowTailRatio = 0.12
    static let slowTailFactor = 8.0
    static let overloadRatio = 0.25
    /// Schedule times count from the simulators' start; the load starts this much later,
    /// once Ballast is up, so that both share one timeline.
    static let lead = 3.0

    /// The 529 wave starts late enough (from about 70 s of load) that the primary's circuit,
    /// opened by the outage, has closed again and finished settling: the shipped region-down
    /// rule half-opens it after 10 s and watches it for 10 s more whatever the run's length.
    /// In shorter runs the wave reopens that circuit, and the wave's retries fare worse.
    static let phases: [DemoPhase] = [
        DemoPhase(
            kind: .rateLimitBurst, start: 0.06, end: 0.20, title: "429 burst",
            detail: "the load surges to 3x for 40% of each cycle (1.44x on average, under the primary's 1.5x limit)"),
        DemoPhase(
            kind: .slowTail, start: 0.22, end: 0.34, title: "slow tail",
            detail: "12% of the primary's answers are 8x slower (first byte and tokens)"),
        DemoPhase(
            kind: .tokenExpiry, start: 0.36, end: 0.42, title: "token expiry",
            detail: "every token issued so far is rejected (401) until its holder fetches a new one"),
        DemoPhase(
            kind: .outage, start: 0.44, end: 0.55, title: "primary down",
            detail: "the primary refuses connections, then comes back"),
        DemoPhase(
            kind: .overload, start: 0.78, end: 0.93, title: "529 wave",
            detail: "both regions are overloaded: 25% of requests answered 529 at once"),
    ]

    /// Requests per second: `anthropic-ratelimit-requests-limit` announces 60 times this.
    var limit: Double { (rate * Self.limitFactor).rounded() }
    /// The bucket holds one second's worth, far below the per-minute figure (the API enforces
    /// per-minute limits over shorter intervals).
    var burst: Double { limit }

    func phase(_ kind: DemoPhase.Kind) -> DemoPhase { Self.phases.first { $0.kind == kind }! }

    func start(_ kind: DemoPhase.Kind) -> Double { phase(kind).start * seconds }
    func end(_ kind: DemoPhase.Kind) -> Double { phase(kind).end * seconds }

    /// The phase in force `elapsed` seconds into the load, nil between phases.
    func phase(at elapsed: Double) -> DemoPhase? {
        Self.phases.first { $0.contains(elapsed, seconds: seconds) }
    }

    // MARK: Load

    /// A stretch of constant Poisson rate; `peak` marks the surges of the 429 phase.
    struct Segment: Sendable {
        var start: Double
        var seconds: Double
        var rate: Double
        var peak: Bool
    }

    /// The offered load: the base rate, except in the 429 phase, which is cut into cycles of
    /// about five seconds (at least one), each a surge then a lull.
    var segments: [Segment] {
        let burstStart = start(.rateLimitBurst)
        let burstEnd = end(.rateLimitBurst)
        var segments = [Segment(start: 0, seconds: burstStart, rate: rate, peak: false)]
        let cycles = max(1, Int(((burstEnd - burstStart) / 5).rounded()))
        let cycle = (burstEnd - burstStart) / Double(cycles)
        for number in 0..<cycles {
            let at = burstStart + Double(number) * cycle
            segments.append(Segment(start: at, seconds: cycle * Self.burstShare, rate: rate * Self.burstFactor, peak: true))
            segments.append(
                Segment(
                    start: at + cycle * Self.burstShare, seconds: cycle * (1 - Self.burstShare),
                    rate: rate * Self.quietFactor, peak: false))
        }
        segments.append(Segment(start: burstEnd, seconds: seconds - burstEnd, rate: rate, peak: false))
        return segments
    }

    /// Seconds of surge, for the peak goodput.
    var peakSeconds: Double { segments.filter(\.peak).reduce(0) { $0 + $1.seconds } }

    func isPeak(_ elapsed: Double) -> Bool {
        segments.contains { $0.peak && elapsed >= $0.start && elapsed < $0.start + $0.seconds }
    }

    // MARK: Configurations

    private func time(_ offset: Double) -> String { String(format: "%.3fs", Self.lead + offset) }
    private func length(_ kind: DemoPhase.Kind) -> String { String(format: "%.3fs", end(kind) - start(kind)) }

    /// One simulator: the primary and a standby, both behind one OAuth issuer and one
    /// organisation-wide rate limit. The demo runs two of these, alike down to the seed: one
    /// for each path, so neither path's traffic spends the other's rate limit.
    var simulatorYAML: String {
        let latency = "first_byte: { median: 120ms, spread: 0.4 }, token_interval: 4ms"
        let overload =
            "{ at: \(time(start(.overload))), for: \(length(.overload)), "
            + "faults: { error_ratio: { \"529\": \(Self.overloadRatio) } } }"
        return """
            seed: \(seed)
            oauth: { client_id: ballast-demo, client_secret: \(Self.clientSecret), token_ttl: 1h }
            rate_limit: { requests_per_second: \(Int(limit)), burst: \(Int(burst)) }
            regions:
              - name: primary
                listen: 127.0.0.1:0
                latency: { \(latency) }
                output: { min_tokens: 20, max_tokens: 80 }
                schedule:
                  - { at: \(time(start(.slowTail))), for: \(length(.slowTail)), latency: { \(latency), slow_tail: { ratio: \(Self.slowTailRatio), factor: \(Self.slowTailFactor) } } }
                  - { at: \(time(start(.outage))), for: \(length(.outage)), faults: { refuse_connections: true } }
                  - \(overload)
              - name: secondary
                listen: 127.0.0.1:0
                latency: { first_byte: { median: 150ms, spread: 0.4 }, token_interval: 4ms }
                output: { min_tokens: 20, max_tokens: 80 }
                schedule:
                  - \(overload)
            """
    }

    /// The simulator's own secret (it is a test double); Ballast reads it from the environment.
    static let clientSecret = "demo-secret"
    static let secretVariable = "BALLAST_DEMO_CLIENT_SECRET"

    func ballastYAML(primary: String, secondary: String, tokenURL: String, store: String, rules: [String]) -> String {
        """
        listen: 127.0.0.1:0
        admin: { listen: 127.0.0.1:0 }
        store: { path: "\(store)" }
        server: { drain_timeout: 2s }
        rules: { paths: [\(rules.map { "\"\($0)\"" }.joined(separator: ", "))] }
        upstream:
          auth: { mode: oauth, token_url: "\(tokenURL)", client_id: ballast-demo, client_secret_env: \(Self.secretVariable) }
          timeouts: { connect: 1s, first_byte: 20s, idle: 10s, total: 60s }
          regions:
            - { name: primary, base_url: "\(primary)", weight: 100 }
            - { name: secondary, base_url: "\(secondary)", weight: 0 }
        """
    }
}
