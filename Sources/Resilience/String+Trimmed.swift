extension String {
    /// The text without surrounding spaces and tabs (header values may carry them).
    var trimmed: Substring {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view.removeFirst() }
        while let last = view.last, last == " " || last == "\t" { view.removeLast() }
        return view
    }
}
