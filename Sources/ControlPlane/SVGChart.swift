/// A small inline SVG line chart for the status page: no script, no external assets, so the
/// page works offline, behind strict proxies and in a headless browser alike.
struct SVGChart {
    var title: String
    /// One value per step, oldest first; nil where there is no data (drawn as a gap).
    var values: [Double?]
    var color: String
    /// How the largest value is labelled (`12.5 req/s`).
    var format: (Double) -> String
    var width = 260
    var height = 60

    func render() -> String {
        let known = values.compactMap { $0 }.filter(\.isFinite)
        let top = max(known.max() ?? 0, 1e-9)
        let step = values.count > 1 ? Double(width) / Double(values.count - 1) : 0
        var paths: [String] = []
        var current: [String] = []
        for (index, value) in values.enumerated() {
            guard let value, value.isFinite else {
                if !current.isEmpty { paths.append(current.joined(separator: " ")) }
                current = []
                continue
            }
            let x = Double(index) * step
            let y = Double(height) - value / top * Double(height - 4) - 2
            current.append("\(Self.coordinate(x)),\(Self.coordinate(y))")
        }
        if !current.isEmpty { paths.append(current.joined(separator: " ")) }
        let lines = paths.map { points in
            points.contains(" ")
                ? #"<polyline fill="none" stroke="\#(color)" stroke-width="1.5" points="\#(points)"/>"#
                : #"<circle r="1.5" fill="\#(color)" cx="\#(points.split(separator: ",")[0])" cy="\#(points.split(separator: ",")[1])"/>"#
        }.joined()
        let label = known.isEmpty ? "no data" : "max " + format(known.max() ?? 0)
        return #"<figure class="chart"><figcaption>\#(HTMLText.escape(title)) <span>\#(HTMLText.escape(label))</span></figcaption>"#
            + #"<svg role="img" aria-label="\#(HTMLText.escape(title))" width="\#(width)" height="\#(height)" viewBox="0 0 \#(width) \#(height)">"#
            + ##"<rect width="\##(width)" height="\##(height)" fill="#f6f7f9"/>\##(lines)</svg></figure>"##
    }

    private static func coordinate(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
