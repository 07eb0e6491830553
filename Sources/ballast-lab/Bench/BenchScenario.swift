/// A benchmark scenario: it measures Ballast and a baseline in the same run, so the figures
/// it reports are ratios that survive a noisy shared machine.
protocol BenchScenario: Sendable {
    var name: String { get }
    func run(_ context: BenchContext) async throws -> BenchSection
}
