/// One model seen in the telemetry or named by a circuit: its circuit, its fallback and what
/// the degradation level in force sends it to.
package struct ModelStatus: Codable, Sendable, Equatable {
    package var name: String
    package var circuit: String
    @Nullable package var fallback: String?
    @Nullable package var degradedTo: String?
    package var recent: RecentFigures

    package init(name: String, circuit: String, fallback: String?, degradedTo: String?, recent: RecentFigures) {
        self.name = name
        self.circuit = circuit
        self.fallback = fallback
        self.degradedTo = degradedTo
        self.recent = recent
    }

    enum CodingKeys: String, CodingKey {
        case name, circuit, fallback, recent
        case degradedTo = "degraded_to"
    }
}
