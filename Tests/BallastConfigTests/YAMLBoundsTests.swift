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
        #expect(
            messages("upstream: " + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000))
                == ["ballast.yaml:1:266: nesting deeper than 256 levels"])
        #expect(
            messages("listen: " + String(repeating: "{a: ", count: 20_000) + "1" + String(repeating: "}", count: 20_000))
                == ["ballast.yaml:1:1029: nesting deeper than 256 levels"])
    }

    @Test func deepBlockCollectionsAreRefused() {
        #expect(
            messages("upstream:\n  regions:\n    " + String(repeating: "- ", count: 3_000) + "x\n")
                == ["ballast.yaml:3:513: nesting deeper than 256 levels"])
        let indented = (0..<300).map { String(repeating: " ", count: $0) + "k\($0):\n" }.joined()
        #expect(messages(indented) == ["ballast.yaml:257:257: nesting deeper than 256 levels"])
    }

    /// 256 levels are read (and then judged by the config's own rules); the bound is exact.
    @Test func theBoundIsExact() {
        func sequences(_ depth: Int) -> String { "listen: " + String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1) }
        #expect(YAMLBounds.issue(in: sequences(256), file: "f") == nil)
        #expect(YAMLBounds.issue(in: sequences(257), file: "f")?.description == "f:1:264: nesting deeper than 256 levels")
        #expect(YAMLBounds.issue(in: "", file: "f") == nil)
        // A syntax error is left to Yams, which reports it with its own position.
        #expect(YAMLBounds.issue(in: "a: [1, 2", file: "f") == nil)
        #expect(messages("a: [1, 2").first?.hasPrefix("ballast.yaml:") == true)
    }

    /// An alias stands for its anchor's whole tree: a 250-level anchor used 10 levels down is a
    /// 261-level tree, refused at the alias.
    @Test func anAliasCountsAsDeepAsItsAnchor() {
        let deep = "a: &a " + String(repeating: "[", count: 250) + String(repeating: "]", count: 250) + "\n"
        let used = "b: " + String(repeating: "[", count: 10) + "*a" + String(repeating: "]", count: 10) + "\n"
        #expect(YAMLBounds.issue(in: deep + used, file: "f")?.description == "f:2:14: this alias nests its anchor deeper than 256 levels")
        #expect(YAMLBounds.issue(in: deep + "b: [*a]\n", file: "f") == nil)
    }

    /// Ten aliases of ten aliases of ... (a "billion laughs"): refused once the expansion passes
    /// 4 Mi characters, before any reader walks it. Ordinary anchors are fine.
    @Test func aliasesThatMultiplyTheDocumentAreRefused() {
        var yaml = "l0: &l0 [" + Array(repeating: "\"0123456789\"", count: 10).joined(separator: ",") + "]\n"
        for level in 1...9 {
            yaml += "l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ",") + "]\n"
        }
        #expect(YAMLBounds.issue(in: yaml, file: "f")?.message == "aliases expand the document beyond 4194304 characters")
        #expect(YAMLBounds.issue(in: yaml, file: "f")?.location.line == 6)
        #expect(YAMLBounds.issue(in: "x: &r {a: 1, b: [1, 2]}\ny: *r\nz: [*r, *r]\n", file: "f") == nil)
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
