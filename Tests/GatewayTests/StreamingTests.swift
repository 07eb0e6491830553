import BallastConfig
import BallastCore
import BallastTesting
import Dispatch
import Foundation
import Gateway
import HTTPServer
import Synchronization
import Testing
import Upstream

/// A test upstream's stream producer that honours back-pressure and records what happened.
final class Producer: Sendable {
    private let written = Atomic<Int>(0)
    private let blocked = Atomic<Bool>(false)
    private let cancelled = Atomic<Bool>(false)
    private let drained = DispatchSemaphore(value: 0)

    var bytesWritten: Int { written.load(ordering: .relaxed) }
    var isBlocked: Bool { blocked.load(ordering: .relaxed) }
    var wasCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// Writes `chunks` (each made by `make`) into `stream` on a background thread, waiting
    /// on drain when full, pausing `interval` between chunks, then finishes.
    func run(_ stream: ResponseStream, chunks: Int, interval: Double = 0, make: @escaping @Sendable (Int) -> [UInt8]) {
        stream.onDrain { [self] in drained.signal() }
        stream.onCancel { [self] in
            cancelled.store(true, ordering: .relaxed)
            drained.signal()
        }
        Thread.detachNewThread { [self] in
            for index in 0..<chunks {
                let chunk = make(index)
                while true {
                    switch stream.write(chunk) {
                    case .accepted:
                        written.add(chunk.count, ordering: .relaxed)
                    case .full:
                        blocked.store(true, ordering: .relaxed)
                        drained.wait()
                        blocked.store(false, ordering: .relaxed)
                        continue
                    case .closed:
                        return
                    }
                    break
                }
                if interval > 0 { usleep(UInt32(interval * 1_000_000)) }
            }
            stream.finish()
        }
    }
}

/// A client delegate that can hold back (refuse bytes) until told to go on.
final class SlowReader: UpstreamTransferDelegate {
    private let holding = Atomic<Bool>(true)
    private let received = Atomic<Int>(0)
    private let firstBytes = Mutex<[UInt8]>([])
    let collector = ResponseCollector()

    init(holding: Bool) { self.holding.store(holding, ordering: .relaxed) }

    var bytesReceived: Int { received.load(ordering: .relaxed) }
    var prefix: String { String(decoding: firstBytes.withLock { $0 }, as: UTF8.self) }
    func release() { holding.store(false, ordering: .relaxed) }

    func upstreamDidReceiveHead(_ head: UpstreamResponseHead) { collector.upstreamDidReceiveHead(head) }

    func upstreamDidReceive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if holding.load(ordering: .relaxed) { return false }
        received.add(bytes.count, ordering: .relaxed)
        firstBytes.withLock { if $0.count < 4096 { $0.append(contentsOf: bytes.prefix(4096 - $0.count)) } }
        return true
    }

    func upstreamDidComplete(_ completion: UpstreamCompletion) { collector.upstreamDidComplete(completion) }
}

@Suite struct StreamingTests {
    static let streamRequest = #"{"model":"m","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#

    private func sseHeaders() -> HTTPHeaders { ["content-type": "text/event-stream", "request-id": "req_stream"] }

    @Test func eventsArriveAsTheyAreProduced() async throws {
        let release = DispatchSemaphore(value: 0)
        let upstream = try startUpstream { [self] _, responder in
            let stream = ResponseStream()
            responder.respond(HTTPResponse(status: 200, headers: sseHeaders(), body: .stream(stream)))
            Thread.detachNewThread {
                stream.write("event: message_start\ndata: {}\n\n")
                stream.write("event: content_block_delta\ndata: {}\n\n")
                release.wait()  // the rest only after the client has seen the first content
                stream.write("event: message_stop\ndata: {}\n\n")
                stream.finish()
            }
        }
        defer { upstream.stop() }
        // Generous timeouts: in a full run on 2 cores the test's own tasks can wait tens of
        // seconds for a thread of Swift's cooperative pool (the whole suite runs at once), and
        // the 30 s idle timeout once cut the stream before the test released its end.
        let harness = try GatewayHarness(
            regions: [RegionConfig(name: "primary", baseURL: "http://\(upstream.address)")],
            timeouts: TimeoutsConfig(connect: .seconds(5), firstByte: .seconds(150), idle: .seconds(150), total: .seconds(300)))
        defer { harness.stop() }
        let reader = SlowReader(holding: false)
        harness.client.submit(
            UpstreamRequest(
                url: harness.baseURL + "/v1/messages", headers: ["content-type": "application/json"],
                body: Array(Self.streamRequest.utf8),
                timeouts: UpstreamTimeouts(connect: 5, firstByte: 150, idle: 150, total: 300)),
            delegate: reader)
        // Held back only until the first content event, then relayed as it comes.
        #expect(await eventually(within: 120) { reader.prefix.contains("content_block_delta") })
        release.signal()
        let result = await reader.collector.result()
        #expect(result.head?.status == 200)
        #expect(result.head?.headers["content-type"] == "text/event-stream")
        #expect(result.head?.headers["x-ballast-region"] == "primary")
        #expect(reader.prefix == "event: message_start\ndata: {}\n\nevent: content_block_delta\ndata: {}\n\nevent: message_stop\ndata: {}\n\n")
    }

    @Test func aSlowClientPausesTheUpstream() async throws {
        let producer = Producer()
        // Each chunk one 16 KiB SSE event: a stream of bare bytes is refused as not SSE.
        let eventHead = Array("event: content_block_delta\ndata: ".utf8)
        let chunk = eventHead + [UInt8](repeating: UInt8(ascii: "x"), count: 16 * 1024 - eventHead.count - 2) + [0x0A, 0x0A]
        let total = 4096 * chunk.count  // 64 MiB
        let upstream = try startUpstream { [self] _, responder in
            let stream = ResponseStream()
            responder.respond(HTTPResponse(status: 200, headers: sseHeaders(), body: .stream(stream)))
            producer.run(stream, chunks: 4096) { _ in chunk }
        }
        defer { upstream.stop() }
        let harness = try GatewayHarness(regions: [RegionConfig(name: "primary", baseURL: "http://\(upstream.address)")])
        defer { harness.stop() }
        let reader = SlowReader(holding: true)
        let transfer = harness.client.submit(
            UpstreamRequest(
                url: harness.baseURL + "/v1/messages",
                headers: ["content-type": "application/json"],
                body: Array(Self.streamRequest.utf8)), delegate: reader)
        // The producer must end up blocked long before it has written everything.
        #expect(await eventually(within: 10) { producer.isBlocked })
        let writtenWhileHeld = producer.bytesWritten
        #expect(writtenWhileHeld < 16 * 1024 * 1024, "upstream ran \(writtenWhileHeld) bytes ahead of a stalled client")
        reader.release()
        transfer.resume()
        let result = await reader.collector.result()
        #expect(result.completion.error == nil)
        #expect(reader.bytesReceived == total)
    }

    @Test func aClientThatLeavesAbortsTheUpstream() async throws {
        let producer = Producer()
        let upstream = try startUpstream { [self] _, responder in
            let stream = ResponseStream()
            responder.respond(HTTPResponse(status: 200, headers: sseHeaders(), body: .stream(stream)))
            producer.run(stream, chunks: 100_000, interval: 0.002) { index in
                Array("event: content_block_delta\ndata: {\"i\":\(index)}\n\n".utf8)
            }
        }
        defer { upstream.stop() }
        let harness = try GatewayHarness(regions: [RegionConfig(name: "primary", baseURL: "http://\(upstream.address)")])
        defer { harness.stop() }
        let reader = SlowReader(holding: false)
        let transfer = harness.client.submit(
            UpstreamRequest(
                url: harness.baseURL + "/v1/messages",
                headers: ["content-type": "application/json"],
                body: Array(Self.streamRequest.utf8)), delegate: reader)
        #expect(await eventually { reader.bytesReceived > 1000 })
        transfer.cancel()
        #expect(await eventually { producer.wasCancelled })
        #expect(await eventually { harness.gateway.activeUpstreamTransfers == 0 && harness.gateway.inFlightRequests == 0 })
    }

    @Test func drainingLetsAStreamFinish() async throws {
        let producer = Producer()
        let upstream = try startUpstream { [self] _, responder in
            let stream = ResponseStream()
            responder.respond(HTTPResponse(status: 200, headers: sseHeaders(), body: .stream(stream)))
            producer.run(stream, chunks: 40, interval: 0.02) { index in
                Array("event: content_block_delta\ndata: {\"i\":\(index)}\n\n".utf8)
            }
        }
        defer { upstream.stop() }
        let harness = try GatewayHarness(regions: [RegionConfig(name: "primary", baseURL: "http://\(upstream.address)")])
        let reader = SlowReader(holding: false)
        harness.client.submit(
            UpstreamRequest(
                url: harness.baseURL + "/v1/messages", headers: ["content-type": "application/json"],
                body: Array(Self.streamRequest.utf8)), delegate: reader)
        #expect(await eventually { reader.bytesReceived > 0 })
        let gateway = harness.gateway
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            gateway.stop(gracePeriod: 10)
            stopped.signal()
        }
        let result = await reader.collector.result()
        #expect(result.completion.error == nil)
        #expect(producer.bytesWritten == reader.bytesReceived)
        #expect(reader.bytesReceived > 40 * 40)
        stopped.wait()
        let after = await harness.post(body: Self.streamRequest)
        #expect(after.completion.error?.requestNeverSent == true)
        harness.client.shutdown()
    }
}
