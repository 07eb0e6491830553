/// An evaluated (sub)expression: a number or a condition, single or one per label set.
enum ExprValue {
    case number(Double)
    case numbers([SeriesLabels: Double])
    case truth(Truth)
    case truths([SeriesLabels: Truth])

    /// The conditions per label set; a single condition under the empty label set.
    var truths: [SeriesLabels: Truth] {
        switch self {
        case .truth(let value): [.none: value]
        case .truths(let values): values
        case .number, .numbers: [:]
        }
    }
}
