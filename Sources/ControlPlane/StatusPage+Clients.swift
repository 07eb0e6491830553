import Proxy
import Resilience
extension StatusPage {
    /// The client keys by name, with their use and budget (never a key).
    func clientsSection() -> String {
        guard let gate = api.context.clients, gate.isActive else { return "" }
        let rows = gate.statuses().map { status -> String in
            let refused = status.refusals.values.reduce(0, +)
            let budget = status.budgetRemaining.map { "\(Int($0)) of \(Int(status.limits.tokensPerDay ?? 0))" } ?? "none"
            let cells = [
                status.name, String(status.requests), String(refused), String(status.inputTokens),
                String(status.outputTokens), budget,
            ]
            return "<tr>" + cells.map { "<td>\(HTMLText.escape($0))</td>" }.joined() + "</tr>"
        }.joined()
        return
            #"<h2>Client keys <small>through this instance</small></h2><table id="clients"><thead><tr><th>key</th><th>requests</th><th>refused</th><th>input tokens</th><th>output tokens</th><th>budget left today</th></tr></thead><tbody>\#(rows)</tbody></table>"#
    }
}
