import BallastCore
import BallastTesting
import Foundation
@testable import Gateway
import HTTPServer
import Synchronization
import Testing
@testable import Proxy
import Upstream

/// A message batch or file exists only in the region that created it: its reads go there,
/// across restarts, and fail with a clear error when that region is out rather than asking one
/// that would answer 404.
@Suite(.serialized) struct ObjectHomeTests {
    /// An upstream region that keeps its own batches, as the API does.
    final class BatchRegion: Sendable {
        final class Book: Sendable {
            let created = Mutex<Set<String>>([])
            let reads = Mutex<Int>(0)
        }

        let name: String
        let server: HTTPServer
        private let book = Book()

        init(_ name: String) throws {
            self.name = name
            let book = self.book
            server = try startUpstream { request, responder in
                if request.method == "POST", request.path == "/v1/messages/batches" {
                    let id = book.created.withLock { set in
                        let id = "msgbatch_\(name)_\(set.count + 1)"
                        set.insert(id)
                        return id
                    }
                    return responder.respond(.json(200, #"{"id":"\#(id)","type":"message_batch","processing_status":"in_progress"}"#))
                }
                book.reads.withLock { $0 += 1 }
                let id = request.path.split(separator: "/").first { $0.hasPrefix("msgbatch_") }.map(String.init) ?? ""
                if book.created.withLock({ $0.contains(id) }) {
                    responder.respond(.json(200, #"{"id":"\#(id)","type":"message_batch"}"#))
                } else {
                    responder.respond(.json(404, #"{"type":"error","error":{"type":"not_found_error","message":"no such batch"}}"#))
                }
            }
        }

        var readCount: Int { book.reads.withLock { $0 } }
    }

    private func gateway(_ regions: [BatchRegion], store: String) throws -> GatewayHarness {
        try GatewayHarness(
            yaml: """
                listen: 127.0.0.1:0
                admin: { listen: 127.0.0.1:0 }
                store: { path: "\(store)" }
                upstream:
                  auth: { mode: passthrough }
                  hedge: { enabled: false }
                  regions:
                \(regions.map { "    - { name: \($0.name), base_url: \"http://\($0.server.address)\", weight: 50 }" }.joined(separator: "\n"))
                """)
    }

    static let headers: HTTPHeaders = ["content-type": "application/json", "x-api-key": "k"]

    @Test func aBatchIsReadFromTheRegionThatCreatedItAcrossARestart() async throws {
        let east = try BatchRegion("east")
        let west = try BatchRegion("west")
        defer {
            east.server.stop()
            west.server.stop()
        }
        let directory = try TemporaryDirectory("ballast-homes")
        defer { directory.remove() }
        let store = directory.path("ballast.db")

        var harness = try gateway([east, west], store: store)
        var ids: [String] = []
        for _ in 0..<8 {
            let created = await harness.post("/v1/messages/batches", body: #"{"requests":[]}"#, headers: Self.headers)
            #expect(created.head?.status == 200)
            if let id = created.text.split(separator: "\"").first(where: { $0.hasPrefix("msgbatch_") }) { ids.append(String(id)) }
        }
        #expect(ids.count == 8)
        #expect(Set(ids.map { $0.contains("east") }).count == 2, "both regions created batches (weights 50/50): \(ids)")
        for id in ids {
            for _ in 0..<3 {
                let read = await harness.get(harness.baseURL + "/v1/messages/batches/\(id)", headers: Self.headers)
                #expect(read.head?.status == 200, "\(id): \(read.text)")
                #expect(read.head?.headers["x-ballast-region"] == (id.contains("east") ? "east" : "west"))
            }
        }

        // A restart reads the homes back from the store.
        harness.stop()
        harness = try gateway([east, west], store: store)
        for id in ids {
            let read = await harness.get(harness.baseURL + "/v1/messages/batches/\(id)/results", headers: Self.headers)
            #expect(read.head?.status == 200, "after a restart, \(id): \(read.text)")
        }
        harness.stop()

        // Without its home region, a batch is not asked of a region that does not know it.
        harness = try gateway([west], store: store)
        defer { harness.stop() }
        let before = west.readCount
        let eastID = try #require(ids.first { $0.contains("east") })
        let orphan = await harness.get(harness.baseURL + "/v1/messages/batches/\(eastID)", headers: Self.headers)
        #expect(orphan.head?.status == 503)
        #expect(orphan.text.contains("created in region east"), "\(orphan.text)")
        #expect(west.readCount == before, "west was asked for a batch it never saw")
        // A batch whose home is still configured is read there as before.
        #expect(await harness.get(harness.baseURL + "/v1/messages/batches/msgbatch_west_1", headers: Self.headers).head?.status == 200)
    }

    @Test func pathsThatNameABatchOrAFile() {
        #expect(ObjectRoute.of(method: "POST", path: "/v1/messages/batches") == .create(.batch))
        #expect(ObjectRoute.of(method: "POST", path: "/v1/files") == .create(.file))
        #expect(ObjectRoute.of(method: "GET", path: "/v1/messages/batches") == nil, "a list names no object")
        #expect(
            ObjectRoute.of(method: "GET", path: "/v1/messages/batches/msgbatch_1/results")
                == .use(.batch, id: "msgbatch_1", deletes: false))
        #expect(
            ObjectRoute.of(method: "POST", path: "/v1/messages/batches/msgbatch_1/cancel")
                == .use(.batch, id: "msgbatch_1", deletes: false))
        #expect(ObjectRoute.of(method: "DELETE", path: "/v1/files/file_9") == .use(.file, id: "file_9", deletes: true))
        #expect(ObjectRoute.of(method: "GET", path: "/v1/files/file_9/content") == .use(.file, id: "file_9", deletes: false))
        #expect(ObjectRoute.of(method: "GET", path: "/v1/files/a%2Fb") == nil, "ids are letters, digits, _ and -")
        #expect(ObjectRoute.of(method: "GET", path: "/v1/files/" + String(repeating: "x", count: 129)) == nil)
        #expect(ObjectRoute.of(method: "POST", path: "/v1/messages") == nil)
    }
}
