import BallastCore
import Cache
import Foundation
import Synchronization
import Testing
@testable import JSON

/// The JSON depth bounds are safe on small stacks: a document at the deepest allowed level is
/// parsed, serialised and canonicalised by the cache on a 512 KiB thread, and scanned as a
/// request body (512 levels, which overflowed 512 KiB in a debug build) on 1 MiB. Request
/// bodies are scanned on libmicrohttpd's threads, which have the system's default of 8 MiB.
@Suite struct JSONDepthStackTests {
    /// `body`'s answer, computed on a thread of `stackKiB`; nil when it did not return in 60 s.
    func onSmallStack(_ stackKiB: Int = 512, _ body: @escaping @Sendable () -> String) -> String? {
        let finished = DispatchSemaphore(value: 0)
        let answer = Mutex<String?>(nil)
        let thread = Thread {
            let text = body()
            answer.withLock { $0 = text }
            finished.signal()
        }
        thread.stackSize = stackKiB << 10
        thread.start()
        guard finished.wait(timeout: .now() + 60) == .success else { return nil }
        return answer.withLock { $0 }
    }

    @Test func theDeepestCacheDocumentRoundTripsOnASmallStack() {
        let depth = JSONParser.maxDepth
        let text = String(repeating: #"{"a":["#, count: depth / 2) + "1" + String(repeating: "]}", count: depth / 2)
        #expect(
            onSmallStack {
                let value = try? JSONParser.parse(text)
                _ = value?.canonicalBytes()
                return value?.serializedString() ?? "not parsed"
            } == text)
    }

    @Test func theDeepestRequestBodyScansOnASmallStack() {
        let depth = JSONScanner.maxDepth
        let body = Array((#"{"model":"m","x":"# + String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1) + "}").utf8)
        #expect(
            onSmallStack(1024) {
                (try? JSONScanner.scanObject(body, fields: ["model"]))?.strings["model"] ?? "not scanned"
            } == "m")
        let tooDeep = Array(("{\"x\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}").utf8)
        #expect(throws: JSONScanner.SyntaxError.self) { try JSONScanner.scanObject(tooDeep, fields: []) }
    }
}
