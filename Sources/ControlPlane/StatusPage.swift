import BallastConfig
import BallastCore
import ControlModels
import Foundation
import HTTPServer
import Rules
import Telemetry
import RulesRuntime
import Resilience

/// The status page at `/` on the admin listener: server-rendered HTML that refreshes itself,
/// with no external assets. Regions with their state, weight and recent figures, 15-minute
/// charts per region from the SQLite rollups, the degradation level, overrides and the
/// latest actions with their reasons. Behind the token (a login form sets a session cookie)
/// unless the admin listener is configured open.
struct StatusPage: Sendable {
    let api: ControlAPI

    /// The charts cover this many seconds in steps of `chartStep`.
    static let chartSpan = 900.0
    static let chartStep = 30.0
    static let refreshSeconds = 5

    private var context: ControlContext { api.context }

    func show(_ request: HTTPRequest) -> HTTPResponse {
        guard context.auth.pageIsOpen || context.auth.authorisesPage(request.headers) else {
            return html(401, loginPage(message: request.queryValue("failed") != nil ? "That token is not valid." : nil))
        }
        return html(200, page())
    }

    /// `POST /login` with a form field `token`: sets the session cookie and goes back to `/`.
    func login(_ request: HTTPRequest) -> HTTPResponse {
        let token = Self.formValue("token", in: request.body) ?? ""
        guard context.auth.accepts(token: token), let session = context.auth.sessionValue else {
            return HTTPResponse(status: 303, headers: ["location": "/?failed=1", "cache-control": "no-store"])
        }
        return HTTPResponse(
            status: 303,
            headers: [
                "location": "/", "cache-control": "no-store",
                "set-cookie": "\(ControlAuth.cookieName)=\(session); Path=/; HttpOnly; SameSite=Strict",
            ])
    }

    private func html(_ status: Int, _ body: String) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: ["content-type": "text/html; charset=utf-8", "cache-control": "no-store"],
            text: body)
    }

    // MARK: Pages

    private func loginPage(message: String?) -> String {
        let note = message.map { #"<p class="bad">\#(HTMLText.escape($0))</p>"# } ?? ""
        return Self.document(
            title: "Ballast: sign in", refresh: false,
            body: """
                <h1>Ballast</h1>
                <p>The status page needs the admin token (the value of \(HTMLText.escape(context.auth.tokenSource))).</p>
                \(note)
                <form method="post" action="/login"><label>Token <input type="password" name="token" autofocus></label>
                <button type="submit">Sign in</button></form>
                """)
    }

    private func page() -> String {
        let view = context.rules.view()
        let regions = api.regionDocuments(view)
        let recent = (try? context.auditLog?.entries(limit: 20)) ?? []
        let wall = context.clock.wallTime()
        var body = "<h1>Ballast <small>\(HTMLText.escape(context.version))</small></h1>"
        body += #"<p class="meta">up \#(DurationText.format((wall - context.startedAt).rounded())) · \#(context.proxyInFlight()) requests in flight · "#
        body += #"\#(view.ruleSet.rules.count) rules, \#(view.engine.firing.count) firing · refreshed every \#(Self.refreshSeconds)s</p>"#
        body += degradationSection(view)
        body += regionsTable(regions)
        body += canariesSection()
        body += clientsSection()
        body += usageSection(at: wall)
        body += chartsSection(at: wall)
        body += overridesSection(view)
        body += actionsSection(recent)
        return Self.document(title: "Ballast status", refresh: true, body: body)
    }

    private func degradationSection(_ view: RulesView) -> String {
        let level = view.degradationLevel
        let source =
            view.overrides.degradation != nil
            ? "pinned by an operator"
            : view.peers.degradation > view.engine.degradationLevel ? "set by another instance's rules" : "set by the rules"
        let css = level == 0 ? "good" : "bad"
        return
            #"<p id="degradation">Degradation level <strong class="\#(css)" id="degradation-level">\#(level)</strong> of \#(view.ruleSet.degradation.maxLevel) (\#(source))</p>"#
    }

    private func regionsTable(_ regions: [RegionStatus]) -> String {
        var rows = ""
        for region in regions {
            let css = ["serving", "standby", "restored"].contains(region.state) ? "good" : "bad"
            rows += #"<tr data-region="\#(HTMLText.escape(region.name))"><td>\#(HTMLText.escape(region.name))</td>"#
            rows += #"<td class="\#(css)">\#(HTMLText.escape(region.state))</td>"#
            rows += "<td>\(region.weight) <small>of \(region.configuredWeight)</small></td>"
            rows += "<td>\(Self.figure(region.recent.rate, unit: " req/s"))</td>"
            rows += "<td>\(Self.percent(region.recent.errorRatio))</td>"
            rows += "<td>\(Self.milliseconds(region.recent.p99Seconds))</td>"
            rows += "<td>\(HTMLText.escape(region.circuit))</td></tr>"
        }
        return """
            <h2>Regions <small>last minute</small></h2>
            <table id="regions"><thead><tr><th>region</th><th>state</th><th>weight</th><th>rate</th><th>errors</th><th>p99</th><th>circuit</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            """
    }

    private func canariesSection() -> String {
        let canaries = context.migrations.states
        guard !canaries.isEmpty else { return "" }
        func side(_ side: CanarySide) -> String { HTMLText.escape(side.description) }
        func figures(_ document: CanaryStatus, _ name: String) -> String {
            let figures = document.sides[name]
            return "\(Self.percent(figures?.errorRatio)) errors, \(Self.milliseconds(figures?.p99Seconds)) p99"
        }
        let rows = canaries.map { state -> String in
            let document = api.canaryDocument(state)
            let css = state.phase == .rolledBack ? "bad" : "good"
            return #"<tr data-canary="\#(HTMLText.escape(state.config.name))"><td>\#(HTMLText.escape(state.config.name))</td>"#
                + "<td>\(side(state.config.from)) → \(side(state.config.to))</td>"
                + #"<td class="\#(css)">\#(HTMLText.escape(state.summary))</td>"#
                + "<td>\(figures(document, "old"))</td><td>\(figures(document, "new"))</td></tr>"
        }.joined()
        return
            #"<h2>Canaries <small>sides over the last 5 minutes</small></h2><table id="canaries"><thead><tr><th>canary</th><th>from → to</th><th>state</th><th>old side</th><th>new side</th></tr></thead><tbody>\#(rows)</tbody></table>"#
    }

    private func chartsSection(at wall: Double) -> String {
        var html = "<h2>Last 15 minutes <small>\(Int(Self.chartStep))s steps</small></h2>"
        for region in context.router.regions {
            let points = series(region: region.name, at: wall)
            html += #"<div class="charts" data-region="\#(HTMLText.escape(region.name))"><h3>\#(HTMLText.escape(region.name))</h3>"#
            html += SVGChart(
                title: "rate", values: points.map { $0.map(\.rate) }, color: "#2563eb",
                format: { Self.plain($0) + " req/s" }
            ).render()
            html += SVGChart(
                title: "errors", values: points.map { $0.flatMap { $0.ratio([.upstream, .local, .ballast]) } },
                color: "#dc2626", format: { Self.plain($0 * 100) + "%" }
            ).render()
            html += SVGChart(
                title: "p99", values: points.map { $0.flatMap { $0.latencyQuantile(0.99) } }, color: "#7c3aed",
                format: { Self.plain($0 * 1000) + " ms" }
            ).render()
            html += "</div>"
        }
        return html
    }

    /// One window per step over the chart span, oldest first; nil where nothing was served.
    private func series(region: String, at wall: Double) -> [WindowStats?] {
        let steps = Int(Self.chartSpan / Self.chartStep)
        return (0..<steps).reversed().map { back in
            let end = wall - Double(back) * Self.chartStep
            guard let stats = try? context.windows.stats(last: Self.chartStep, filter: TelemetryFilter(region: region), wallTime: end),
                stats.requests > 0
            else { return nil }
            return stats
        }
    }

    private func overridesSection(_ view: RulesView) -> String {
        let overrides = view.overrides.all
        guard !overrides.isEmpty else { return #"<h2>Operator overrides</h2><p id="overrides">None: the rules govern.</p>"# }
        let wall = context.clock.wallTime()
        let rows = overrides.map { override in
            let expiry = override.expiresAt.map { "in " + DurationText.format(max(0, $0 - wall).rounded()) } ?? "until cleared"
            return "<tr><td>\(HTMLText.escape(override.target))</td><td>\(HTMLText.escape(override.summary))</td>"
                + "<td>\(HTMLText.escape(override.reason))</td><td>\(HTMLText.escape(override.actor))</td><td>\(expiry)</td></tr>"
        }.joined()
        return
            #"<h2>Operator overrides</h2><table id="overrides"><thead><tr><th>target</th><th>override</th><th>reason</th><th>by</th><th>expires</th></tr></thead><tbody>\#(rows)</tbody></table>"#
    }

    private func actionsSection(_ entries: [AuditEntry]) -> String {
        guard !entries.isEmpty else { return #"<h2>Recent actions</h2><p id="actions">None yet.</p>"# }
        let rows = entries.map { entry in
            "<tr><td>\(Self.clockTime(entry.time))</td><td>\(HTMLText.escape(entry.target))</td>"
                + "<td>\(HTMLText.escape(entry.action))</td><td>\(HTMLText.escape(entry.actor))</td>"
                + "<td class=\"reason\">\(HTMLText.escape(entry.reason))</td></tr>"
        }.joined()
        return
            #"<h2>Recent actions</h2><table id="actions"><thead><tr><th>time (UTC)</th><th>target</th><th>action</th><th>by</th><th>why</th></tr></thead><tbody>\#(rows)</tbody></table>"#
    }

    // MARK: Formatting

    private static func document(title: String, refresh: Bool, body: String) -> String {
        let meta = refresh ? #"<meta http-equiv="refresh" content="\#(refreshSeconds)">"# : ""
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(HTMLText.escape(title))</title>\(meta)
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#111}
            h1 small,h2 small{color:#666;font-weight:normal;font-size:60%}
            table{border-collapse:collapse;margin:.5em 0 1.5em}
            th,td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left;vertical-align:top}
            .good{color:#15803d}.bad{color:#b91c1c;font-weight:bold}.meta{color:#555}
            .charts{display:flex;gap:12px;align-items:flex-start;flex-wrap:wrap}.charts h3{width:100%;margin:.4em 0 0}
            figure{margin:0}figcaption{font-size:12px;color:#444}figcaption span{color:#888}
            td.reason{max-width:48em;font-size:12px}
            </style></head><body>
            \(body)
            </body></html>
            """
    }

    private static func plain(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String((value * 10).rounded() / 10)
    }

    private static func figure(_ value: Double?, unit: String) -> String {
        guard let number = value else { return "–" }
        return plain(number) + unit
    }

    private static func percent(_ value: Double?) -> String {
        guard let number = value else { return "–" }
        return plain(number * 100) + "%"
    }

    private static func milliseconds(_ value: Double?) -> String {
        guard let number = value else { return "–" }
        return plain(number * 1000) + " ms"
    }

    private static func clockTime(_ wall: Double) -> String {
        let seconds = Int(wall.rounded(.down)) % 86_400
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
    }

    /// A field of an `application/x-www-form-urlencoded` body.
    static func formValue(_ name: String, in body: [UInt8]) -> String? {
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == Substring(name) else { continue }
            return percentDecode(String(parts[1]))
        }
        return nil
    }

    private static func percentDecode(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(32)
            case UInt8(ascii: "%"):
                guard let high = iterator.next(), let low = iterator.next(),
                    let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
