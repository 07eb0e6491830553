/// The admin listener's probes: `/readyz` (ready or not, and the store's health) and
/// `/health` (what serves, for a quick look).
package enum ProbeDocument {
    package struct Ready: Codable, Sendable, Equatable {
        package var status: String
        package var store: StoreStatus

        package init(status: String, store: StoreStatus) {
            self.status = status
            self.store = store
        }
    }

    package struct Health: Codable, Sendable, Equatable {
        package var status: String
        package var proxy: StatusDocument.Proxy
        package var upstream: StatusDocument.Upstream
        package var regions: [Region]

        package struct Region: Codable, Sendable, Equatable {
            package var name: String
            package var baseURL: String
            package var weight: Int

            package init(name: String, baseURL: String, weight: Int) {
                self.name = name
                self.baseURL = baseURL
                self.weight = weight
            }

            enum CodingKeys: String, CodingKey {
                case name, weight
                case baseURL = "base_url"
            }
        }

        package init(status: String, proxy: StatusDocument.Proxy, upstream: StatusDocument.Upstream, regions: [Region]) {
            self.status = status
            self.proxy = proxy
            self.upstream = upstream
            self.regions = regions
        }
    }
}
