import Foundation

/// The contract's paths and their methods (API-5), so that a known path asked with another
/// method is answered 405 with `Allow`, not 404.
struct RouteTable: Sendable {
    private let routes: [(segments: [String?], methods: [String])]

    /// Reads the paths of the OpenAPI document the server serves.
    init(contract: [UInt8]) {
        let document = (try? JSONSerialization.jsonObject(with: Data(contract))) as? [String: Any]
        let paths = document?["paths"] as? [String: [String: Any]] ?? [:]
        routes = paths.map { path, operations in
            // `{name}` matches any one segment.
            (path.split(separator: "/").map { $0.hasPrefix("{") ? nil : String($0) }, operations.keys.map { $0.uppercased() }.sorted())
        }
    }

    /// The methods the contract allows on `path`; empty when no path of the contract matches.
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/").map(String.init)
        return routes.filter { route in
            route.segments.count == segments.count && zip(route.segments, segments).allSatisfy { $0 == nil || $0 == $1 }
        }.flatMap(\.methods).sorted()
    }
}
