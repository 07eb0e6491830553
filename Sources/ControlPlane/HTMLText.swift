/// Escaping for text placed in HTML, so region names, rule reasons and operator reasons can
/// never inject markup into the status page. Control characters (a NUL, an escape) are shown
/// as U+FFFD: they are not text, and a NUL in HTML is a parse error.
enum HTMLText {
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\t", "\n": result.append(character)
            default:
                if character.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
                    result += "\u{FFFD}"
                } else {
                    result.append(character)
                }
            }
        }
        return result
    }
}
