enum BenchError: Error, CustomStringConvertible {
    case processFailed(String)
    case unknownScenario(String)

    var description: String {
        switch self {
        case .processFailed(let why): why
        case .unknownScenario(let name): "no scenario named \(name)"
        }
    }
}
