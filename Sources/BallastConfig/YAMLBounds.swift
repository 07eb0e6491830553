import CYaml

/// The nesting and alias bounds of config and rule YAML, checked before Yams builds its tree.
///
/// Yams composes a document by recursion, one call chain per level, and its `Node` tree is
/// freed by recursion too: 20,000 nested `[` or 20,000 block levels overflowed the stack (a
/// SIGSEGV in `serve` and `rules check`). libyaml's own parser keeps its state in explicit
/// stacks, so its event stream is read here first (without recursion) and the first
/// collection deeper than `maxDepth` is reported at its position; only a document within the
/// bounds reaches Yams. Syntax errors are left to Yams, which reports them the same way.
///
/// Aliases count as what they stand for: an alias shares its anchor's tree, so a chain of
/// anchors each holding the previous one 250 levels down builds a tree far deeper than its
/// text, and ten aliases of ten aliases of ... a rule make the reader compile a billion rules
/// from a few hundred bytes. An alias whose anchor would reach deeper than `maxDepth`, or
/// aliases that expand the document beyond `maxExpandedCharacters`, are refused at the alias.
public enum YAMLBounds {
    /// 256 levels: the deepest shipped files (rules/*.yaml and their tests) nest 7; a deeper
    /// file is a mistake or an attack. 256 levels parse in less than 384 KiB of stack (debug).
    public static let maxDepth = 256

    /// 4 Mi characters: the document with every alias replaced by its anchor's text is at most
    /// four times the largest file read (`ConfigFile.maxBytes`).
    public static let maxExpandedCharacters = 4 << 20

    /// What is open while the events are read: a collection's start, its anchor, its height so
    /// far (1 for an empty one) and the characters its aliases add.
    private struct Open {
        var anchor: String?
        var start: Int
        var height = 1
        var aliasCharacters = 0
    }

    /// The first breach of a bound, as a message at its location, or nil.
    public static func issue(
        in text: String, file: String, maxDepth: Int = YAMLBounds.maxDepth,
        maxExpandedCharacters: Int = YAMLBounds.maxExpandedCharacters
    ) -> ConfigIssue? {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { return nil }
        return bytes.withUnsafeMutableBufferPointer { buffer -> ConfigIssue? in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return nil }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            var open: [Open] = []
            /// Per anchor: the height of its node and the characters it stands for.
            var anchors: [String: (height: Int, characters: Int)] = [:]
            var expanded = 0
            func location(_ mark: yaml_mark_t) -> SourceLocation {
                SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
            }
            /// A child of `height` that adds `aliasCharacters` ends inside the innermost open collection.
            func childEnded(height: Int, aliasCharacters: Int) {
                guard !open.isEmpty else { return }
                open[open.count - 1].height = max(open[open.count - 1].height, height + 1)
                open[open.count - 1].aliasCharacters += aliasCharacters
            }
            while true {
                var event = yaml_event_t()
                // A syntax error: Yams meets the same one and reports it with its position.
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    if open.count + 1 > maxDepth {
                        return ConfigIssue(location(event.start_mark), "nesting deeper than \(maxDepth) levels")
                    }
                    let anchor =
                        event.type == YAML_SEQUENCE_START_EVENT
                        ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
                    open.append(Open(anchor: anchor.map { String(cString: $0) }, start: Int(event.start_mark.index)))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let closed = open.popLast() else { return nil }
                    if let anchor = closed.anchor {
                        anchors[anchor] = (closed.height, Int(event.end_mark.index) - closed.start + closed.aliasCharacters)
                    }
                    childEnded(height: closed.height, aliasCharacters: closed.aliasCharacters)
                case YAML_SCALAR_EVENT:
                    if let anchor = event.data.scalar.anchor {
                        anchors[String(cString: anchor)] = (0, Int(event.end_mark.index) - Int(event.start_mark.index))
                    }
                case YAML_ALIAS_EVENT:
                    // An unknown anchor is a composition error Yams reports.
                    guard let name = event.data.alias.anchor, let anchor = anchors[String(cString: name)] else { break }
                    if open.count + anchor.height > maxDepth {
                        return ConfigIssue(
                            location(event.start_mark),
                            "this alias nests its anchor deeper than \(maxDepth) levels")
                    }
                    expanded += anchor.characters
                    if buffer.count + expanded > maxExpandedCharacters {
                        return ConfigIssue(
                            location(event.start_mark),
                            "aliases expand the document beyond \(maxExpandedCharacters) characters")
                    }
                    childEnded(height: anchor.height, aliasCharacters: anchor.characters)
                case YAML_STREAM_END_EVENT, YAML_NO_EVENT:
                    return nil
                default:
                    break
                }
            }
        }
    }
}
