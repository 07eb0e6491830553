/// A call's queries for one evaluation step: one per label set of its grouping (one in all
/// for an ungrouped call), with the matchers resolved against the known label values.
package struct ResolvedCall {
    package var instances: [(labels: SeriesLabels, query: WindowQuery)]
}
