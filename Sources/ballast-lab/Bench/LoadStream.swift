/// One open-loop stream of requests for one model in a fault run: a run with two streams
/// tells the failing model's errors from the others'.
struct LoadStream: Sendable {
    var model: String
    var rate: Double
    var maxTokens = 64
}
