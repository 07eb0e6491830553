package import BallastConfig
package import BallastCore
import Dispatch
import Foundation
package import Logging
package import Redis
import Synchronization

/// Everything shared mode runs, built from `shared.redis`: the Redis client and subscriber,
/// the shared allowance, the cache tier, the overrides and rule decisions syncs and the
/// membership, plus one thread that beats the heartbeat and reconciles both syncs once per
/// `heartbeat`.
/// Nothing here is needed for a request to succeed: with Redis gone each part decides
/// locally and `ballast_shared_backend_up` reads 0.
package final class SharedRuntime: Sendable {
    package let config: RedisConfig
    package let instanceID: String
    package let client: RedisClient
    package let allowance: SharedAllowance
    package let cacheTier: SharedCacheTier
    package let membership: SharedMembership
    package let overrides: SharedOverridesSync
    package let decisions: SharedDecisionsSync
    private let subscriber: RedisSubscriber
    private let logger: Logger
    private let clock: any TimeSource
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let info = Mutex<String>("{}")

    package init(config: RedisConfig, environment: [String: String], pacing: PacingConfig, clock: any TimeSource, logger: Logger) throws {
        self.config = config
        self.clock = clock
        self.logger = logger
        var password: String?
        if let name = config.passwordEnv {
            guard let value = environment[name], !value.isEmpty else {
                throw GatewayStartupError.missingCredential("shared.redis.password_env: environment variable \(name) is not set")
            }
            password = value
        }
        let endpoint = RedisEndpoint(
            host: config.host, port: config.port, database: config.database, password: password,
            connectTimeout: config.connectTimeout.seconds, commandTimeout: config.commandTimeout.seconds,
            tls: config.tls.map {
                RedisTLS(
                    caFile: $0.caFile, serverName: $0.serverName, clientCertFile: $0.clientCertFile,
                    clientKeyFile: $0.clientKeyFile)
            })
        instanceID = Self.makeInstanceID()
        client = RedisClient(endpoint: endpoint)
        allowance = SharedAllowance(
            client: client, keyPrefix: config.keyPrefix,
            settings: SharedAllowanceSettings(localShare: config.localShare, maxWait: pacing.maxWait.seconds),
            clock: clock)
        let membership = SharedMembership(client: client, keyPrefix: config.keyPrefix, id: instanceID, ttl: config.heartbeat.seconds * 3)
        self.membership = membership
        cacheTier = SharedCacheTier(
            client: client, keyPrefix: config.keyPrefix, instanceID: instanceID,
            maxValueBytes: config.maxValueBytes, lockTimeout: config.lockTimeout.seconds,
            memberTTL: membership.ttl, clock: clock)
        let hash = SharedStateHash(client: client, hashKey: config.keyPrefix + "overrides", channel: config.keyPrefix + "events")
        let overrides = SharedOverridesSync(hash: hash, clock: clock)
        self.overrides = overrides
        let decisionsChannel = config.keyPrefix + "decisions"
        let decisions = SharedDecisionsSync(
            newest: SharedStateHash(client: client, hashKey: config.keyPrefix + "decisions", channel: decisionsChannel),
            instances: SharedStateHash(client: client, hashKey: config.keyPrefix + "instance-decisions", channel: decisionsChannel),
            membership: membership, clock: clock)
        self.decisions = decisions
        let cacheTier = cacheTier
        subscriber = RedisSubscriber(
            endpoint: endpoint, channels: [hash.channel, decisionsChannel, cacheTier.channel],
            onSubscribed: {
                overrides.reconcile()
                decisions.reconcile()
            },
            handler: { channel, message in
                switch channel {
                case cacheTier.channel: cacheTier.notify(String(decoding: message, as: UTF8.self))
                case decisionsChannel: decisions.reconcile()
                default: overrides.reconcile()
                }
            })
        let target = endpoint.description
        client.onStateChange { [logger, client] up in
            if up {
                logger.notice(
                    "shared backend up: shared allowance, cache, overrides and rule decisions in use",
                    metadata: ["redis": "\(target)"])
                overrides.reconcile()
                decisions.reconcile()
            } else {
                logger.warning(
                    "shared backend down: local allowance, local cache, last known overrides and decisions until it returns",
                    metadata: ["redis": "\(target)", "reason": "\(client.lastError ?? "unknown")"])
            }
        }
    }

    /// Connects (waiting up to a second, so a reachable Redis is in use from the first
    /// request), registers, and starts the subscriber and the heartbeat thread. An
    /// unreachable Redis does not stop the start: the client keeps trying in the background.
    package func start(info text: String) {
        guard !running.exchange(true, ordering: .relaxed) else { return }
        info.withLock { $0 = text }
        client.start()
        let deadline = clock.now().adding(seconds: 1)
        while !client.isUp, clock.now() < deadline { usleep(10_000) }
        if client.isUp {
            let done = DispatchSemaphore(value: 0)
            membership.heartbeat(info: text) { _ in done.signal() }
            _ = done.wait(timeout: .now() + 1)
        }
        subscriber.start()
        let thread = Thread { [self] in
            while running.load(ordering: .relaxed) {
                var slept = 0.0
                while slept < config.heartbeat.seconds, running.load(ordering: .relaxed) {
                    usleep(50_000)
                    slept += 0.05
                }
                guard running.load(ordering: .relaxed) else { break }
                membership.heartbeat(info: info.withLock { $0 })
                overrides.reconcile()
                decisions.heartbeat()
            }
            finished.signal()
        }
        thread.name = "ballast-shared"
        thread.start()
    }

    /// Updates what the heartbeat says about this instance (the listeners, once bound).
    package func describe(_ text: String) {
        info.withLock { $0 = text }
    }

    package func stop() {
        guard running.exchange(false, ordering: .relaxed) else { return }
        finished.wait()
        overrides.attach(nil)
        decisions.attach(nil)
        subscriber.stop()
        if client.isUp {
            decisions.leave()
            membership.leave()
        }
        client.stop()
    }

    /// `hostname-pid-random`: unique per process, readable in `ballast status`.
    private static func makeInstanceID() -> String {
        var name = [CChar](repeating: 0, count: 256)
        let host =
            gethostname(&name, name.count) == 0
            ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "ballast"
        return "\(host)-\(getpid())-\(String(UInt16.random(in: 0...UInt16.max), radix: 16))"
    }
}
