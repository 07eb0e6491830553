import CYaml

/// The nesting bound of config and rule YAML, checked before Yams builds its tree.
///
/// Yams composes a document by recursion, one call chain per level, and its `Node` tree is
/// freed by recursion too: 20,000 nested `[` or 3,000 block levels overflowed the stack (a
/// SIGSEGV in `serve` and `rules check`). libyaml's own parser keeps its state in explicit
/// stacks, so its event stream is read here first (without recursion) and the first
/// collection deeper than `maxDepth` is reported at its position; only a document within the
/// bound reaches Yams. Syntax errors are left to Yams, which reports them the same way.
public enum YAMLBounds {
    /// 256 levels: the deepest shipped files (rules/*.yaml and their tests) nest 7; a deeper
    /// file is a mistake or an attack. 256 levels parse in less than 384 KiB of stack (debug).
    public static let maxDepth = 256

    /// The first collection deeper than `maxDepth`, as a message at its location, or nil.
    public static func depthIssue(in text: String, file: String, maxDepth: Int = YAMLBounds.maxDepth) -> ConfigIssue? {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { return nil }
        return bytes.withUnsafeMutableBufferPointer { buffer -> ConfigIssue? in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return nil }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            var depth = 0
            while true {
                var event = yaml_event_t()
                // A syntax error: Yams meets the same one and reports it with its position.
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    depth += 1
                    if depth > maxDepth {
                        let mark = event.start_mark
                        return ConfigIssue(SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1),
                                           "nesting deeper than \(maxDepth) levels")
                    }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    depth -= 1
                case YAML_STREAM_END_EVENT, YAML_NO_EVENT:
                    return nil
                default:
                    break
                }
            }
        }
    }
}
