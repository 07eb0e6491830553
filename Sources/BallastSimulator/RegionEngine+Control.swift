import BallastConfig
import BallastCore
import HTTPServer

extension RegionEngine {
    /// `GET /_sim/stats`, `GET /_sim/faults`, `PUT /_sim/faults`. Not counted in the stats,
    /// not subject to faults or the API key, so a test or the demo can always steer a region.
    func control(_ request: HTTPRequest, _ responder: HTTPResponder) {
        switch (request.method, request.path) {
        case ("GET", "/_sim/stats"):
            send(responder, status: 200, headers: [:], json: stats.snapshot.json, counted: false)
        case ("GET", "/_sim/faults"):
            send(responder, status: 200, headers: [:], json: faultsJSON, counted: false)
        case ("PUT", "/_sim/faults"):
            do {
                let faults = try FaultSettings.parse(String(decoding: request.body, as: UTF8.self), file: "PUT /_sim/faults")
                setBaseFaults(faults)
                send(responder, status: 200, headers: [:], json: faultsJSON, counted: false)
            } catch {
                let error = AnthropicError(.invalidRequest, "\(error)")
                send(responder, status: 400, headers: [:], json: error.jsonBody, counted: false)
            }
        case (_, "/_sim/stats"), (_, "/_sim/faults"):
            let error = AnthropicError(.invalidRequest, "Method \(request.method) is not allowed on \(request.path)", status: 405)
            send(responder, status: 405, headers: [:], json: error.jsonBody, counted: false)
        default:
            send(responder, status: 404, headers: [:], json: AnthropicError(.notFound, "Not Found").jsonBody, counted: false)
        }
    }

    /// The base faults (what `PUT` sets) and the ones in force now (with the schedule).
    private var faultsJSON: String {
        "{\"base\":\(baseFaults.json),\"effective\":\(effectiveFaults.json)}"
    }
}
