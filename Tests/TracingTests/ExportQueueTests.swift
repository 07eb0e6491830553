import Testing
import Tracing

struct ExportQueueTests {
    static func span(_ n: UInt8) -> Span {
        Span(
            traceID: [UInt8](repeating: n, count: 16), spanID: [UInt8](repeating: n, count: 8), name: "s\(n)", kind: .server,
            startNanos: 1, endNanos: 2)
    }

    @Test func holdsAtMostItsCapacityAndCountsTheRest() {
        var queue = ExportQueue(capacity: 4, batchSize: 2, interval: 1, now: 0)
        #expect(queue.add([Self.span(1)]) == false)
        #expect(queue.add((2...6).map(Self.span)) == true)  // a full batch waits
        #expect(queue.pending.count == 4)
        #expect(queue.dropped[.queueFull] == 2)
    }

    @Test func exportsFullBatchesAtOnceAndPartialOnesAfterTheInterval() {
        var queue = ExportQueue(capacity: 10, batchSize: 3, interval: 1, now: 0)
        _ = queue.add([Self.span(1)])
        #expect(queue.take(now: 0.5) == nil, "one span, before the interval")
        #expect(queue.take(now: 1.0)?.count == 1)
        _ = queue.add((2...5).map(Self.span))
        #expect(queue.take(now: 1.1) == nil, "one export at a time")
        queue.finished(success: true, now: 1.1)
        #expect(queue.take(now: 1.2)?.map(\.name) == ["s2", "s3", "s4"], "a full batch does not wait")
        queue.finished(success: false, now: 1.2)
        #expect(queue.exported == 1 && queue.dropped[.exportFailed] == 3 && queue.failedExports == 1)
        #expect(queue.take(now: 1.3) == nil)
        #expect(queue.take(now: 3.1) == nil, "a failure waits twice the interval")
        #expect(queue.take(now: 1.3, force: true)?.count == 1, "shutdown takes what is left")
    }

    @Test func failuresBackOffUpToTheCapAndASuccessResetsIt() {
        var queue = ExportQueue(capacity: 1000, batchSize: 1, interval: 1, now: 0, maxBackoff: 8)
        var now = 0.0
        var waits: [Double] = []
        for _ in 0..<6 {
            _ = queue.add([Self.span(1)])
            var tried = now
            while queue.take(now: tried) == nil { tried += 0.5 }
            waits.append(tried - now)
            now = tried
            queue.finished(success: false, now: now)
        }
        #expect(waits == [0, 2, 4, 8, 8, 8])
        _ = queue.add([Self.span(1)])
        #expect(queue.take(now: now + 8) != nil)
        queue.finished(success: true, now: now + 8)
        _ = queue.add([Self.span(1)])
        #expect(queue.take(now: now + 8) != nil, "a success clears the backoff")
    }

    @Test func aFullQueueRefusesSpansBeforeTheyAreBuilt() {
        var queue = ExportQueue(capacity: 3, batchSize: 3, interval: 1, now: 0)
        let first = queue.reserve(2)
        _ = queue.add([Self.span(1), Self.span(2)])
        let second = queue.reserve(2)
        let third = queue.reserve(1)
        #expect(first && !second && third)
        #expect(queue.dropped[.queueFull] == 2 && queue.pending.count == 2)
    }

    /// With the collector down every export fails: spans are dropped and counted, and the
    /// queue never holds more than its capacity however long it lasts.
    @Test func aCollectorThatIsDownCostsBoundedMemory() {
        var queue = ExportQueue(capacity: 100, batchSize: 10, interval: 1, now: 0)
        var now = 0.0
        var handed = 0
        for _ in 0..<1000 {
            now += 0.01
            _ = queue.add([Self.span(1), Self.span(2), Self.span(3)])
            handed += 3
            if let batch = queue.take(now: now) {
                #expect(batch.count <= 10)
                queue.finished(success: false, now: now)
            }
            #expect(queue.pending.count <= 100)
        }
        let dropped = queue.dropped.values.reduce(0, +)
        #expect(dropped + queue.pending.count + queue.exported == handed)
    }
}
