import Yams

extension Node {
    /// The same tree with every scalar value (not mapping keys) passed through `transform`.
    ///
    /// A loop with its own stack, not recursion: a config may nest `YAMLBounds.maxDepth`
    /// levels and is read on threads with small stacks (a debug build's frame per level would
    /// overflow 512 KiB where Yams itself does not).
    func mappingScalarValues(_ transform: (Node.Scalar) -> Node.Scalar) -> Node {
        enum Frame {
            case mapping(Node.Mapping, keys: [Node], values: [Node], done: [Node])
            case sequence(Node.Sequence, items: [Node], done: [Node])
        }
        var stack: [Frame] = []
        var next = self
        descend: while true {
            var finished: Node
            switch next {
            case .scalar(let scalar):
                finished = .scalar(transform(scalar))
            case .mapping(let mapping):
                let keys = mapping.map(\.key)
                if let first = mapping.first {
                    stack.append(.mapping(mapping, keys: keys, values: mapping.map(\.value), done: []))
                    next = first.value
                    continue descend
                }
                finished = next
            case .sequence(let sequence):
                let items = Array(sequence)
                if let first = items.first {
                    stack.append(.sequence(sequence, items: items, done: []))
                    next = first
                    continue descend
                }
                finished = next
            }
            // Hand the finished node to its parent; finish every parent whose children are done.
            while let frame = stack.popLast() {
                switch frame {
                case .mapping(let mapping, let keys, let values, var done):
                    done.append(finished)
                    if done.count < values.count {
                        next = values[done.count]
                        stack.append(.mapping(mapping, keys: keys, values: values, done: done))
                        continue descend
                    }
                    finished = .mapping(Node.Mapping(Array(zip(keys, done)), mapping.tag, mapping.style, mapping.mark))
                case .sequence(let sequence, let items, var done):
                    done.append(finished)
                    if done.count < items.count {
                        next = items[done.count]
                        stack.append(.sequence(sequence, items: items, done: done))
                        continue descend
                    }
                    finished = .sequence(Node.Sequence(done, sequence.tag, sequence.style, sequence.mark))
                }
            }
            return finished
        }
    }
}
