import BallastCore
import Resilience
import Testing

@Suite struct FailureClassifierTests {
    let classifier = FailureClassifier()

    func body(_ type: String, _ message: String = "boom") -> [UInt8] {
        Array(#"{"type":"error","error":{"type":"\#(type)","message":"\#(message)"}}"#.utf8)
    }

    @Test func successIsNotAFailure() {
        let result = classifier.classify(status: 200, headers: [:])
        #expect(result.outcome == .success)
        #expect(result.isSuccess)
        #expect(!result.retryable)
    }

    @Test func rateLimitIsRetryableUpstreamWithRetryAfter() {
        let result = classifier.classify(
            status: 429, headers: ["retry-after": "12"],
            bodyPrefix: body("rate_limit_error", "Number of requests has exceeded your per-minute rate limit"))
        #expect(result.outcome == .upstream)
        #expect(result.retryable)
        #expect(result.errorType == "rate_limit_error")
        #expect(result.retryAfter == 12)
        #expect(result.isRateLimited)
        #expect(!result.signalsOverload)
    }

    @Test(arguments: [
        "You have reached your specified API usage limits. You will regain access on 2026-12-01.",
        "Your organization has hit its monthly spend limit.",
        "Your credit balance is too low to access the Anthropic API.",
    ])
    func spendLimitIsFinal(message: String) {
        let result = classifier.classify(
            status: 429, headers: ["retry-after": "30"],
            bodyPrefix: body("rate_limit_error", message))
        #expect(result.outcome == .client)
        #expect(!result.retryable)
        #expect(!result.isRateLimited)
        #expect(result.errorMessage == message)
    }

    @Test(arguments: [500, 502, 503, 504, 529, 408, 409])
    func retryableStatuses(status: Int) {
        let result = classifier.classify(status: status, headers: [:], bodyPrefix: [UInt8]())
        #expect(result.outcome == .upstream)
        #expect(result.retryable)
        #expect(result.status == status)
    }

    @Test(arguments: [400, 401, 402, 403, 404, 413, 422])
    func clientErrorsAreFinal(status: Int) {
        let result = classifier.classify(status: status, headers: [:], bodyPrefix: [UInt8]())
        #expect(result.outcome == .client)
        #expect(!result.retryable)
        #expect(result.isAuthenticationFailure == (status == 401))
    }

    @Test func overloadedSignalsOverload() {
        let result = classifier.classify(status: 529, headers: [:], bodyPrefix: body("overloaded_error", "Overloaded"))
        #expect(result.errorType == "overloaded_error")
        #expect(result.signalsOverload)
        #expect(result.retryable)
    }

    @Test func shouldRetryHeaderOverridesBothWays() {
        let forced = classifier.classify(status: 400, headers: ["X-Should-Retry": "true"], bodyPrefix: [UInt8]())
        #expect(forced.retryable)
        #expect(forced.outcome == .client)
        let forbidden = classifier.classify(status: 503, headers: ["x-should-retry": "false"], bodyPrefix: [UInt8]())
        #expect(!forbidden.retryable)
        #expect(forbidden.outcome == .upstream)
    }

    @Test func retryAfterForms() {
        func retryAfter(_ headers: HTTPHeaders) -> Double? {
            classifier.classify(status: 529, headers: headers, bodyPrefix: [UInt8]()).retryAfter
        }
        #expect(retryAfter(["retry-after-ms": "1500", "retry-after": "9"]) == 1.5)
        #expect(retryAfter(["retry-after": "2.5"]) == 2.5)
        #expect(retryAfter(["retry-after": " 7 "]) == 7)
        #expect(retryAfter(["retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"]) == nil)
        #expect(retryAfter(["retry-after": "-3"]) == nil)
        #expect(retryAfter([:]) == nil)
    }

    @Test func truncatedAndEscapedBodies() {
        let truncated = Array(#"{"type":"error","error":{"type":"overloaded_error","mess"#.utf8)
        #expect(classifier.classify(status: 529, headers: [:], bodyPrefix: truncated).errorType == "overloaded_error")

        let escaped = Array(#"{"type": "error", "error": {"message": "a \"quoted\" spend limit\u0021", "type": "rate_limit_error"}}"#.utf8)
        let result = classifier.classify(status: 429, headers: [:], bodyPrefix: escaped)
        #expect(result.errorType == "rate_limit_error")
        #expect(result.errorMessage == #"a "quoted" spend limit!"#)
        #expect(result.outcome == .client)

        let notJSON = Array("<html>502 Bad Gateway</html>".utf8)
        let proxyPage = classifier.classify(status: 502, headers: [:], bodyPrefix: notJSON)
        #expect(proxyPage.errorType == nil)
        #expect(proxyPage.retryable)
    }

    @Test func transportFailuresAreLocalAndRetryable() {
        for kind in TransportFailure.allCases {
            let result = classifier.classify(transport: kind)
            #expect(result.outcome == .local)
            #expect(result.retryable)
            #expect(result.transport == kind)
            #expect(result.status == nil)
        }
        #expect(classifier.classify(transport: .connectFailed).requestNeverSent)
        #expect(classifier.classify(transport: .connectTimeout).requestNeverSent)
        #expect(!classifier.classify(transport: .connectionLost).requestNeverSent)
        #expect(!classifier.classify(transport: .firstByteTimeout).requestNeverSent)
        #expect(classifier.classify(transport: .firstByteTimeout).signalsOverload)
        #expect(!classifier.classify(transport: .connectFailed).signalsOverload)
    }

    @Test func streamErrorEventsMapToTheirStatus() {
        let overloaded = classifier.classify(streamErrorData: body("overloaded_error", "Overloaded"))
        #expect(overloaded.status == 529)
        #expect(overloaded.outcome == .upstream)
        #expect(overloaded.retryable)

        #expect(classifier.classify(streamErrorData: body("api_error")).status == 500)
        let rateLimited = classifier.classify(streamErrorData: body("rate_limit_error"))
        #expect(rateLimited.status == 429)
        #expect(rateLimited.isRateLimited)

        let invalid = classifier.classify(streamErrorData: body("invalid_request_error"))
        #expect(invalid.status == 400)
        #expect(invalid.outcome == .client)

        let unknown = classifier.classify(streamErrorData: Array("{}".utf8))
        #expect(unknown.status == 500)
        #expect(unknown.errorType == "api_error")
        #expect(unknown.retryable)
    }
}
