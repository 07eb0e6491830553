import Foundation

/// One entry of Ballast's audit log, with its time in seconds of the demo.
struct DemoAction: Sendable {
    var time: Double
    var kind: String
    var target: String
    var action: String
    var reason: String
    var actor: String

    /// `t= 34.1s circuit region=primary -> open  (rule:region-down: open for 10s (trip 1))`:
    /// the reason cut to its first clause; the whole expression with its values is in the store.
    var text: String {
        let noun = kind.replacingOccurrences(of: "_changed", with: "").replacingOccurrences(of: "_", with: " ")
        var why = reason.split(separator: ";").first.map(String.init) ?? reason
        if why.count > 60 { why = String(why.prefix(57)) + "..." }
        return String(format: "t=%5.1fs ", time) + "\(noun) \(target) -> \(action)  (\(actor): \(why))"
    }
}
