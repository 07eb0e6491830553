import BallastCore
import Foundation
import Testing

/// Files an operator names are read only when they are regular files under their bound: a
/// FIFO blocked the reader forever and /dev/zero was read until memory ran out before.
@Suite struct RegularFileTests {
    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-regular-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs `body` on a thread and fails the test if it has not returned within 10 s (a FIFO
    /// without a writer blocked `fopen` forever).
    func withinDeadline(_ body: @escaping @Sendable () -> Void) -> Bool {
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            body()
            finished.signal()
        }
        return finished.wait(timeout: .now() + 10) == .success
    }

    @Test func aRegularFileIsRead() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("key").path
        try "sk-test\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try RegularFile.read(path: path, maxBytes: 8) == Array("sk-test\n".utf8))
        #expect(throws: RegularFileError(path: path, reason: "8 bytes, larger than the limit of 7 bytes")) {
            try RegularFile.read(path: path, maxBytes: 7)
        }
        try RegularFile.check(path: path, maxBytes: 8)
    }

    @Test func devicesFIFOsAndDirectoriesAreRefusedAtOnce() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let cases = [("/dev/zero", "a character device"), (fifo, "a FIFO"), (directory.path, "a directory")]
        for (path, kind) in cases {
            let returned = withinDeadline {
                #expect(throws: RegularFileError(path: path, reason: "not a regular file (\(kind))")) {
                    try RegularFile.read(path: path, maxBytes: 1 << 20)
                }
                #expect(throws: RegularFileError(path: path, reason: "not a regular file (\(kind))")) {
                    try RegularFile.check(path: path, maxBytes: 1 << 20)
                }
            }
            #expect(returned, "reading \(path) did not return")
        }
        #expect(throws: RegularFileError(path: "/nonexistent/x", reason: "cannot open file: No such file or directory")) {
            try RegularFile.read(path: "/nonexistent/x", maxBytes: 10)
        }
    }
}
