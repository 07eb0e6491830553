import Dispatch
import Synchronization

/// Runs async work from a synchronous command and waits for it. The commands are plain
/// `ParsableCommand`s so that `main` stays synchronous and can set the signal mask before
/// the concurrency runtime starts any thread.
package func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let result = Mutex<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do {
            let value = try await body()
            result.withLock { $0 = .success(value) }
        } catch {
            result.withLock { $0 = .failure(error) }
        }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0! }.get()
}
