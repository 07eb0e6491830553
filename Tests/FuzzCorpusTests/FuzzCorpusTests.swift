import Foundation
import ParserFuzzing
import Testing

/// Every file of every fuzz corpus (Fuzz/corpus/<target>/), fed once to the entry point the
/// fuzzer calls: the seeds, and every input that once crashed a parser, so that a crash found
/// by `make fuzz` stays fixed without the fuzzer. A crash here ends the test process, which
/// `swift test` reports as a failure naming this test.
@Suite struct FuzzCorpusTests {
    static let corpusRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus")

    @Test(arguments: FuzzTarget.allCases)
    func corpusReplays(_ target: FuzzTarget) throws {
        let folder = Self.corpusRoot.appendingPathComponent(target.rawValue)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.sorted()
        #expect(names.count >= 3, "\(target.rawValue): the corpus has \(names.count) files; seeds are missing")
        for name in names {
            let bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent(name)))
            target.run(bytes)
        }
    }

    /// Each target's folder exists and no folder is left without a target.
    @Test func everyCorpusHasATarget() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.corpusRoot.path).filter { !$0.hasPrefix(".") }
        #expect(Set(folders) == Set(FuzzTarget.allCases.map(\.rawValue)))
    }
}
