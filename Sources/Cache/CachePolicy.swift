public import BallastCore
import JSON

/// Decides, from the request alone, whether an answer may come from the cache and how long a
/// fresh answer is kept. No I/O, no clock: the gateway calls `decide` once per request.
///
/// A request is cacheable only when it is `POST /v1/messages` or
/// `POST /v1/messages/count_tokens`, and either
/// - it opts in with the `x-ballast-cache` header:
///   - `on` or `ttl`: keep for `defaultTTL`;
///   - `ttl=600` (seconds), `ttl=10m`, `ttl=1h30m`, `ttl=500ms`: keep that long;
///   - `off`, `no-store` or `ttl=0`: never cached, even by the rule below;
/// - or, without the header, a configured rule matches: `temperatureZeroTTL > 0` caches
///   requests whose `temperature` is 0 (deterministic sampling, so a repeat is worth serving).
///
/// Every TTL is capped at `maxTTL`. A body without `temperature` is not matched by the rule:
/// the API samples it at the default of 1, so a repeat would not give the same answer.
///
/// Only complete 200 answers may be stored: the gateway decides that when the answer is in,
/// `CachePolicy` cannot know it up front.
public struct CachePolicy: Sendable, Equatable {
    /// The request header clients use to opt in or out.
    public static let headerName = "x-ballast-cache"
    /// The routes whose answers can be cached.
    public static let cacheablePaths: Set<String> = ["/v1/messages", "/v1/messages/count_tokens"]

    public var enabled: Bool
    /// TTL for `x-ballast-cache: on` (or a bare `ttl`), seconds.
    public var defaultTTL: Double
    /// No answer is kept fresh longer than this, whatever the client asks, seconds.
    public var maxTTL: Double
    /// When above 0, requests with `"temperature": 0` are cached this long without opting in.
    public var temperatureZeroTTL: Double

    /// The defaults match `BallastConfig.CacheConfig`; the gateway copies its config values in.
    public init(enabled: Bool = true, defaultTTL: Double = 600, maxTTL: Double = 86_400, temperatureZeroTTL: Double = 0) {
        self.enabled = enabled
        self.defaultTTL = defaultTTL
        self.maxTTL = maxTTL
        self.temperatureZeroTTL = temperatureZeroTTL
    }

    /// The decision for one request.
    /// - Parameters:
    ///   - method: the HTTP method; only `POST` is cacheable.
    ///   - path: the path without the query.
    ///   - headers: the request headers (`x-ballast-cache` is read).
    ///   - body: the JSON body; only scanned (for `temperature`) when the rule is on and the
    ///     header says nothing.
    public func decide(method: String, path: String, headers: HTTPHeaders, body: [UInt8]) -> CacheDecision {
        guard enabled else { return .bypass(.disabled) }
        guard method == "POST", Self.cacheablePaths.contains(path) else { return .bypass(.notCacheableRoute) }
        if let header = headers[Self.headerName] {
            switch Self.parseDirective(header) {
            case .none:
                return .bypass(.invalidDirective)
            case .some(.off):
                return .bypass(.optedOut)
            case .some(.on):
                return capped(defaultTTL)
            case .some(.ttl(let seconds)):
                return seconds > 0 ? capped(seconds) : .bypass(.optedOut)
            }
        }
        if temperatureZeroTTL > 0, Self.hasZeroTemperature(body) {
            return capped(temperatureZeroTTL)
        }
        return .bypass(.notOptedIn)
    }

    private func capped(_ ttl: Double) -> CacheDecision {
        let value = min(ttl, maxTTL)
        return value > 0 ? .cache(ttl: value) : .bypass(.disabled)
    }

    /// The meaning of one `x-ballast-cache` value.
    enum Directive: Equatable {
        case on
        case off
        case ttl(Double)
    }

    /// Parses an `x-ballast-cache` value; nil when it is not understood. Case and spaces
    /// around the value and the `=` do not matter.
    static func parseDirective(_ value: String) -> Directive? {
        let text = value.trimmingSpaces().lowercased()
        switch text {
        case "on", "ttl": return .on
        case "off", "no-store": return .off
        default: break
        }
        guard text.hasPrefix("ttl") else { return nil }
        let rest = text.dropFirst(3).drop { $0 == " " || $0 == "\t" }
        guard rest.first == "=" else { return nil }
        let amount = String(rest.dropFirst()).trimmingSpaces()
        if let seconds = Double(amount), seconds.isFinite, seconds >= 0 { return .ttl(seconds) }
        if let seconds = DurationText.seconds(String(amount)), seconds >= 0 { return .ttl(seconds) }
        return nil
    }

    /// True when the body's top-level `temperature` is a number equal to 0 (`0`, `0.0`, `0e0`).
    static func hasZeroTemperature(_ body: [UInt8]) -> Bool {
        guard let top = try? JSONScanner.scanObject(body, fields: ["temperature"]),
            let text = top.numbers["temperature"], let value = Double(text)
        else { return false }
        return value == 0
    }
}
