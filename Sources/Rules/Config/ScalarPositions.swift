import BallastConfig
import Yams

/// Maps an offset inside a YAML scalar's value to the file position of that character, so an
/// error in `when: error_ratio{regoin="a"}[30s] > 0.5` points at `regoin`, not at `when:`.
///
/// libyaml only gives where the scalar starts (the quote of a quoted scalar, the `|` of a block
/// scalar). The value's characters are found again in the source line by line: escapes of
/// double-quoted scalars (`\"`, `\n`, `\u00e9`), doubled quotes of single-quoted ones, folded
/// line breaks and indentation are stepped over. When the source cannot be aligned with the
/// value (an unusual escape, a tab trick), every offset maps to the scalar's start: an error
/// then shows on the right line, just not at the exact column.
struct ScalarPositions {
    private let start: SourceLocation
    private let positions: [(line: Int, column: Int)]?

    init(_ node: ConfigNode, lines: [[Unicode.Scalar]]) {
        start = node.location
        guard case .scalar(let scalar) = node.node, let mark = node.node.mark else {
            positions = nil
            return
        }
        positions = Self.align(
            Array(scalar.string.unicodeScalars), style: scalar.style, line: mark.line - 1,
            column: mark.column - 1, lines: lines)
    }

    /// The location of the value's character at `offset` (in Unicode scalars); the end of the
    /// value maps just past its last character.
    func location(at offset: Int) -> SourceLocation {
        guard let positions, !positions.isEmpty else { return start }
        if offset < 0 { return start }
        if offset < positions.count {
            let position = positions[offset]
            return SourceLocation(file: start.file, line: position.line + 1, column: position.column + 1)
        }
        let last = positions[positions.count - 1]
        return SourceLocation(file: start.file, line: last.line + 1, column: last.column + 2)
    }

    private static func align(
        _ value: [Unicode.Scalar], style: Node.Scalar.Style, line startLine: Int, column startColumn: Int,
        lines: [[Unicode.Scalar]]
    ) -> [(line: Int, column: Int)]? {
        var line = startLine
        var column = startColumn
        switch style {
        case .literal, .folded:
            line += 1
            column = 0
        case .singleQuoted, .doubleQuoted:
            column += 1
        case .plain, .any:
            break
        }
        let folds = style != .literal
        var result: [(line: Int, column: Int)] = []
        result.reserveCapacity(value.count)
        for character in value {
            var placed = false
            while !placed {
                guard line < lines.count else { return nil }
                let text = lines[line]
                if column >= text.count {
                    if character == "\n" || (folds && character == " ") {
                        result.append((line, column))
                        placed = true
                    }
                    line += 1
                    column = 0
                    continue
                }
                let c = text[column]
                if style == .doubleQuoted, c == "\\" {
                    guard column + 1 < text.count else {
                        // An escaped line break: the value continues on the next line.
                        line += 1
                        column = 0
                        continue
                    }
                    let length: Int
                    switch text[column + 1] {
                    case "x": length = 4
                    case "u": length = 6
                    case "U": length = 10
                    default: length = 2
                    }
                    result.append((line, column))
                    column += length
                    placed = true
                    continue
                }
                if c == character {
                    result.append((line, column))
                    column += 1
                    placed = true
                    continue
                }
                let skippable = c == " " || c == "\t" || (style == .singleQuoted && c == "'")
                guard skippable else { return nil }
                column += 1
            }
        }
        return result
    }
}
