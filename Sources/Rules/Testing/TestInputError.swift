/// A mistake in a rule test's input values, as a message.
struct TestInputError: Error, Sendable {
    var message: String

    init(_ message: String) { self.message = message }
}
