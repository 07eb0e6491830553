import BallastCore
import Foundation
import Rules
import Testing

/// The expression depth bound (64 levels, every operator counted): deeper input is an error
/// at the offending column, never a stack overflow. 10,000 nested parentheses or a chain of
/// 20,000 `not` crashed `rules check` and a running gateway's reload with SIGSEGV before.
@Suite struct ExpressionDepthTests {
    func issues(_ text: String) -> [String] {
        switch CompiledExpression.compile(text) {
        case .success: return []
        case .failure(let error): return error.issues.map { "\($0.offset): \($0.message)" }
        }
    }

    static let tooDeep = "the expression nests deeper than 64 levels"

    @Test func nestingBeyondTheBoundIsAnErrorAtItsOffset() {
        let parentheses = String(repeating: "(", count: 10_000) + "error_ratio[1m] > 0.5" + String(repeating: ")", count: 10_000)
        #expect(issues(parentheses) == ["64: \(Self.tooDeep)"])
        #expect(issues(String(repeating: "not ", count: 20_000) + "error_ratio[1m] > 0.5") == ["256: \(Self.tooDeep)"])
        #expect(issues(String(repeating: "-", count: 20_000) + "1 > 0") == ["64: \(Self.tooDeep)"])
        #expect(
            issues("max(" + String(repeating: "max(", count: 5_000) + "request_rate[1m]" + String(repeating: ")", count: 5_001) + " > 0")
                == ["256: \(Self.tooDeep)"])
    }

    /// Operator chains build a tree as deep as they are long, although the parser loops over
    /// them: the tree's compile, evaluation and release recurse.
    @Test func longOperatorChainsAreBoundedToo() {
        let and = Array(repeating: "request_rate[1m] > 1", count: 20_000).joined(separator: " and ")
        #expect(issues(and).first?.hasSuffix(Self.tooDeep) == true)
        #expect(issues("1" + String(repeating: " - 1", count: 100_000) + " > 0").first?.hasSuffix(Self.tooDeep) == true)
        #expect(issues("1" + String(repeating: " * 2", count: 70) + " > 0").first?.hasSuffix(Self.tooDeep) == true)
    }

    /// `(`×62 around `x > 1` is 64 levels (the call, the comparison, 62 parentheses): allowed;
    /// one more is not, and is reported at the outermost level.
    @Test func theBoundIsExact() {
        func wrapped(_ count: Int) -> String {
            String(repeating: "(", count: count) + "request_rate[1m] > 1" + String(repeating: ")", count: count)
        }
        #expect(issues(wrapped(62)) == [])
        #expect(issues(wrapped(63)) == ["0: \(Self.tooDeep)"])
        #expect(ExpressionParser.maxDepth == 64)
    }

    /// The deepest allowed expression compiles and evaluates (in a debug build) on a thread with
    /// a 512 KiB stack: rules are compiled on the main thread, the rule controller's and the
    /// admin server's (8 MiB each), so the bound leaves a wide margin.
    @Test func theDeepestAllowedExpressionRunsOnASmallStack() throws {
        let deepest = String(repeating: "(", count: 62) + "request_rate[1m] > 1" + String(repeating: ")", count: 62)
        let mixed = String(repeating: "not -(", count: 20) + "1" + String(repeating: ")", count: 20) + " > 0"
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            for text in [deepest, mixed] {
                if case .success(let compiled) = CompiledExpression.compile(text) {
                    _ = compiled.evaluate(source: InMemoryWindowSource(regions: ["us"]), wallTime: 100)
                }
            }
            finished.signal()
        }
        thread.stackSize = 512 << 10
        thread.start()
        #expect(finished.wait(timeout: .now() + 60) == .success)
        #expect(issues(deepest) == [])
    }
}
