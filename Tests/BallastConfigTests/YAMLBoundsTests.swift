import BallastConfig
import Foundation
import Testing

/// The YAML nesting bound (256 levels), checked on libyaml's events before Yams recurses:
/// 20,000 nested flow `[` or 20,000 block sequence levels crashed `serve` and `rules check`
/// with SIGSEGV before.
@Suite struct YAMLBoundsTests {
    func messages(_ text: String) -> [String] {
        configIssues(text).map(\.description)
    }

    @Test func deepFlowCollectionsAreRefusedAtTheFirstLevelTooDeep() {
        // The top-level mapping is level 1, so the 256th `[` (column 11 + 255) is level 257.
        #expect(messages("upstream: " + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000))
            == ["ballast.yaml:1:266: nesting deeper than 256 levels"])
        #expect(messages("listen: " + String(repeating: "{a: ", count: 20_000) + "1" + String(repeating: "}", count: 20_000))
            == ["ballast.yaml:1:1029: nesting deeper than 256 levels"])
    }

    @Test func deepBlockCollectionsAreRefused() {
        #expect(messages("upstream:\n  regions:\n    " + String(repeating: "- ", count: 3_000) + "x\n")
            == ["ballast.yaml:3:513: nesting deeper than 256 levels"])
        let indented = (0..<300).map { String(repeating: " ", count: $0) + "k\($0):\n" }.joined()
        #expect(messages(indented) == ["ballast.yaml:257:257: nesting deeper than 256 levels"])
    }

    /// 256 levels are read (and then judged by the config's own rules); the bound is exact.
    @Test func theBoundIsExact() {
        func sequences(_ depth: Int) -> String { "listen: " + String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1) }
        #expect(YAMLBounds.depthIssue(in: sequences(256), file: "f") == nil)
        #expect(YAMLBounds.depthIssue(in: sequences(257), file: "f")?.description == "f:1:264: nesting deeper than 256 levels")
        #expect(YAMLBounds.depthIssue(in: "", file: "f") == nil)
        // A syntax error is left to Yams, which reports it with its own position.
        #expect(YAMLBounds.depthIssue(in: "a: [1, 2", file: "f") == nil)
        #expect(messages("a: [1, 2").first?.hasPrefix("ballast.yaml:") == true)
    }

    /// The deepest allowed document is composed by Yams (in a debug build) on a 512 KiB stack
    /// (it needs less than 384 KiB; config and rules are read on threads of 8 MiB).
    @Test func theDeepestAllowedDocumentParsesOnASmallStack() {
        let deepest = "listen: " + String(repeating: "[", count: 255) + String(repeating: "]", count: 255)
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            _ = try? GatewayConfig.parse(deepest, file: "f")
            finished.signal()
        }
        thread.stackSize = 512 << 10
        thread.start()
        #expect(finished.wait(timeout: .now() + 60) == .success)
    }
}
