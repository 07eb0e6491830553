/// The control API's list answers and the answers to its writes: each a document of one or
/// two fields around the shared models.
package enum ControlReply {
    /// `GET /regions`.
    package struct Regions: Codable, Sendable, Equatable {
        package var regions: [RegionStatus]
        package init(regions: [RegionStatus]) { self.regions = regions }
    }

    /// `GET /circuits`.
    package struct Circuits: Codable, Sendable, Equatable {
        package var circuits: [CircuitDocument]
        package init(circuits: [CircuitDocument]) { self.circuits = circuits }
    }

    /// `GET /models`.
    package struct Models: Codable, Sendable, Equatable {
        package var models: [ModelStatus]
        package init(models: [ModelStatus]) { self.models = models }
    }

    /// `GET /overrides`.
    package struct Overrides: Codable, Sendable, Equatable {
        package var overrides: [OverrideStatus]
        package init(overrides: [OverrideStatus]) { self.overrides = overrides }
    }

    /// `GET /canaries`.
    package struct Canaries: Codable, Sendable, Equatable {
        package var canaries: [CanaryStatus]
        package init(canaries: [CanaryStatus]) { self.canaries = canaries }
    }

    /// `GET /actions`: a page of the audit log, newest first; `next_before` asks for the next.
    package struct Actions: Codable, Sendable, Equatable {
        package var actions: [ActionEntry]
        @Nullable package var nextBefore: Int?

        package init(actions: [ActionEntry], nextBefore: Int?) {
            self.actions = actions
            self.nextBefore = nextBefore
        }

        enum CodingKeys: String, CodingKey {
            case actions
            case nextBefore = "next_before"
        }
    }

    /// A region write: the region as it is now, and a note when something else still holds
    /// it away.
    package struct Region: Codable, Sendable, Equatable {
        package var region: RegionStatus
        package var note: String?

        package init(region: RegionStatus, note: String?) {
            self.region = region
            self.note = note
        }
    }

    /// A circuit write.
    package struct Circuit: Codable, Sendable, Equatable {
        package var circuit: CircuitDocument
        package init(circuit: CircuitDocument) { self.circuit = circuit }
    }

    /// A canary started or steered.
    package struct Canary: Codable, Sendable, Equatable {
        package var canary: CanaryStatus
        package init(canary: CanaryStatus) { self.canary = canary }
    }

    /// `POST /rules/reload`: how many rules from which files.
    package struct RulesReloaded: Codable, Sendable, Equatable {
        package var reloaded: Bool
        package var rules: Int
        package var files: [String]

        package init(rules: Int, files: [String]) {
            reloaded = true
            self.rules = rules
            self.files = files
        }
    }

    /// `POST /clients/reload`: the key names now in force.
    package struct ClientsReloaded: Codable, Sendable, Equatable {
        package var reloaded: Bool
        package var clients: [String]

        package init(clients: [String]) {
            reloaded = true
            self.clients = clients
        }
    }
}
