import Foundation
import Proxy
import Synchronization

extension StatusPage {
    /// Tokens per second and dollars per hour over the last hour (every attempt's tokens, as
    /// `ballast_tokens_total` counts them; cost under `pricing`).
    func usageSection(at wall: Double) -> String {
        guard let usage = api.context.usage else { return "" }
        let rate = usage.lastHour.withLock { $0.rate(at: wall, since: api.context.startedAt) }
        let tokens = String(format: "%.1f", rate.tokensPerSecond)
        let cost = String(format: "%.4f", rate.costPerHour)
        return
            #"<h2>Usage <small>last hour, this instance</small></h2><p id="usage"><span id="tokens-per-second">\#(tokens)</span> tokens/s · $<span id="cost-per-hour">\#(cost)</span>/h</p>"#
    }
}
