/// The value lists of rule test series, one value per second, separated by spaces:
///
/// | written | values |
/// |---|---|
/// | `5` | 5 |
/// | `10x30` | 10, thirty times |
/// | `0+2x4` | 0 2 4 6 (four values, each 2 more) |
/// | `_`, `_x5` | no value (no requests), once or five times |
///
/// Unlike promtool's `a+bxn` (n+1 values), `xN` here always means N values, so `0x10 8x20`
/// is exactly 30 seconds.
public enum SeriesNotation {
    /// The values, nil for `_`; or the offset and message of the first mistake.
    public static func expand(_ text: String) -> Result<[Double?], ExpressionIssue> {
        var values: [Double?] = []
        var offset = 0
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            defer { offset += word.unicodeScalars.count + 1 }
            guard !word.isEmpty else { continue }
            switch term(String(word)) {
            case .success(let expanded): values.append(contentsOf: expanded)
            case .failure(let error): return .failure(ExpressionIssue(offset: offset, error.message))
            }
        }
        return .success(values)
    }

    private static func term(_ word: String) -> Result<[Double?], TestInputError> {
        let parts = word.split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return .failure(TestInputError("'\(word)' is not a value: write V, VxN, A+BxN or _")) }
        var count = 1
        if parts.count == 2 {
            guard let n = Int(parts[1]), n >= 1, n <= 1_000_000 else {
                return .failure(TestInputError("'\(word)': the repeat count after 'x' must be a whole number of 1 or more"))
            }
            count = n
        }
        let head = String(parts[0])
        if head == "_" { return .success([Double?](repeating: nil, count: count)) }
        // `A+B` or `A-B`: the sign after the first character starts the increment.
        let scalars = Array(head.unicodeScalars)
        if let signIndex = scalars.indices.dropFirst().first(where: { (scalars[$0] == "+" || scalars[$0] == "-") && scalars[$0 - 1] != "e" }) {
            let start = String(String.UnicodeScalarView(scalars[..<signIndex]))
            let step = String(String.UnicodeScalarView(scalars[signIndex...]))
            guard let a = Double(start), let b = Double(step), parts.count == 2 else {
                return .failure(TestInputError("'\(word)' is not a value: write V, VxN, A+BxN or _"))
            }
            return .success((0..<count).map { a + b * Double($0) })
        }
        guard let value = Double(head), value.isFinite else { return .failure(TestInputError("'\(word)' is not a number")) }
        return .success(Array(repeating: value, count: count))
    }
}
