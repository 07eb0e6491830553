import Foundation
/// `${VAR}` and `${VAR:-default}` in a config scalar, replaced from the environment before
/// the scalar is read, so one file serves every deployment (a port from the platform, a Redis
/// host per cluster) without a template step in front of Ballast.
///
/// The rules are the shell's, kept small: `${VAR}` is the variable's value (an error when it
/// is unset, so a typo never becomes an empty host), `${VAR:-default}` is the default when the
/// variable is unset or empty, and `$${` is a literal `${`. A lone `$` is kept as written, so
/// existing values with a dollar sign (a regex in a pin rule) read as before.
public enum EnvironmentSubstitution {
    /// The expanded text, or every problem in it with its offset in characters.
    public enum Result: Equatable, Sendable {
        case text(String)
        case problems([Problem])
    }

    public struct Problem: Equatable, Sendable {
        /// Characters from the start of the scalar to the `$` of the reference.
        public var offset: Int
        public var message: String
    }

    /// Expands every reference in `text`; `environment` is where variables are looked up.
    public static func expand(_ text: String, environment: [String: String]) -> Result {
        // Most scalars have no reference at all: leave them untouched without a copy.
        guard text.contains("${") else { return .text(text) }
        let characters = Array(text)
        var output = ""
        var problems: [Problem] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            guard character == "$", index + 1 < characters.count else {
                output.append(character)
                index += 1
                continue
            }
            if characters[index + 1] == "$", index + 2 < characters.count, characters[index + 2] == "{" {
                output += "${"
                index += 3
                continue
            }
            guard characters[index + 1] == "{" else {
                output.append(character)
                index += 1
                continue
            }
            guard let close = characters[(index + 2)...].firstIndex(of: "}") else {
                problems.append(Problem(offset: index, message: "'${' has no closing '}' (write '$${' for a literal '${')"))
                break
            }
            let inner = String(characters[(index + 2)..<close])
            let name: String
            let fallback: String?
            if let separator = inner.range(of: ":-") {
                name = String(inner[..<separator.lowerBound])
                fallback = String(inner[separator.upperBound...])
            } else {
                name = inner
                fallback = nil
            }
            if !isVariableName(name) {
                problems.append(
                    Problem(
                        offset: index,
                        message: "'${\(inner)}' must name an environment variable "
                            + "(letters, digits and _), optionally with a default: ${NAME:-default}"))
            } else if let value = environment[name], !(fallback != nil && value.isEmpty) {
                output += value
            } else if let fallback {
                output += fallback
            } else {
                problems.append(
                    Problem(
                        offset: index,
                        message: "environment variable \(name) is not set "
                            + "(give a default with ${\(name):-value})"))
            }
            index = close + 1
        }
        return problems.isEmpty ? .text(output) : .problems(problems)
    }

    static func isVariableName(_ name: String) -> Bool {
        let letter = { (c: Unicode.Scalar) in c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
        guard let first = name.unicodeScalars.first, letter(first) else { return false }
        return name.unicodeScalars.allSatisfy { letter($0) || ("0"..."9").contains($0) }
    }
}
