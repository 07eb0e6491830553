import BallastCore
import Crypto

/// Who may use the admin listener's control API and status page.
///
/// The control API takes `Authorization: Bearer <token>`; the status page also takes a
/// session cookie set by its login form. The cookie holds a digest of the token, never the
/// token itself, so a copied cookie does not reveal it. Every comparison is constant-time
/// (over digests of equal length), so response timing says nothing about how much of a
/// guess was right. With no token configured nothing is authorised, except the read-only
/// status page when the listener is configured `open`.
package struct ControlAuth: Sendable {
    private let tokenDigest: [UInt8]?
    /// The cookie value a login sets: a digest of the token, in hex.
    let sessionValue: String?
    /// The status page is shown without a token (`admin.open`).
    let pageIsOpen: Bool
    /// Where the token is read from, for error messages (the variable's name, never its value).
    let tokenSource: String

    static let cookieName = "ballast_session"

    package init(token: String?, pageIsOpen: Bool, tokenSource: String) {
        let token = token.flatMap { $0.isEmpty ? nil : $0 }
        tokenDigest = token.map { Digest.sha256($0) }
        sessionValue = token.map { Hex.encode(Digest.sha256("ballast-session:" + $0)) }
        self.pageIsOpen = pageIsOpen
        self.tokenSource = tokenSource
    }

    var isConfigured: Bool { tokenDigest != nil }

    /// True when `candidate` is the token.
    func accepts(token candidate: String) -> Bool {
        guard let tokenDigest else { return false }
        return Digest.constantTimeEqual(Digest.sha256(candidate), tokenDigest)
    }

    /// The API's check: a bearer token.
    func authorisesAPI(_ headers: HTTPHeaders) -> Bool {
        guard let value = headers["authorization"] else { return false }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return false }
        return accepts(token: String(String(parts[1]).trimmingSpaces()))
    }

    /// The page's check: a bearer token or the session cookie.
    func authorisesPage(_ headers: HTTPHeaders) -> Bool {
        if authorisesAPI(headers) { return true }
        guard let sessionValue, let cookie = Self.cookie(Self.cookieName, in: headers["cookie"]) else { return false }
        return Digest.constantTimeEqual(Array(cookie.utf8), Array(sessionValue.utf8))
    }

    /// The 401 message: how to authenticate, without saying anything about the token.
    var refusal: ControlError {
        guard isConfigured else {
            return .unauthorized("the control API is closed: no admin token is configured (set \(tokenSource))")
        }
        return .unauthorized("a valid bearer token is required (Authorization: Bearer <token from \(tokenSource)>)")
    }

    static func cookie(_ name: String, in header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2, String(pair[0]).trimmingSpaces() == name { return String(String(pair[1]).trimmingSpaces()) }
        }
        return nil
    }

}
