/// A refused control API request: `{"error":{"type":"not_found","message":"..."}}`.
package struct ControlErrorDocument: Codable, Sendable, Equatable {
    package var error: Body

    package struct Body: Codable, Sendable, Equatable {
        /// Machine-readable: `invalid_request`, `not_found`, `conflict`, `unauthorized`...
        package var type: String
        /// What to change.
        package var message: String

        package init(type: String, message: String) {
            self.type = type
            self.message = message
        }
    }

    package init(type: String, message: String) {
        error = Body(type: type, message: message)
    }
}
