import Foundation
import Testing

/// API-5: docs/openapi.json is the contract; the server serves exactly it, implements every
/// operation it names, and schemathesis (a tool no one here wrote) finds no failure with a
/// partner, a customer, an agent and a distributor token.
@Suite(.serialized) struct ContractTests {
    static let contractPath = APIHarness.packageRoot.appendingPathComponent("docs/openapi.json")

    static func contract() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: contractPath)) as! [String: Any]
    }

    @Test func theServerServesTheContractAndImplementsEveryOperation() async throws {
        try await APIHarness.with { harness in
            let served = try await harness.call("GET", "/v1/openapi.json", as: nil)
            #expect(served.status == 200)
            #expect(served.body == (try Data(contentsOf: Self.contractPath)))
            let contract = try Self.contract()
            #expect(contract["openapi"] as? String == "3.1.0")
            let paths = contract["paths"] as! [String: [String: Any]]
            for (path, operations) in paths {
                for method in operations.keys {
                    let concrete = path.replacingOccurrences(of: #"\{[a-z]+\}"#, with: "x", options: .regularExpression)
                    let answer = try await harness.call(method.uppercased(), concrete, as: "partner", body: method == "get" || method == "delete" ? nil : "{}")
                    #expect(!answer.text.contains("no-such-route"), "\(method) \(path) is in the contract but not served")
                    let documented = Set(((operations[method] as? [String: Any])?["responses"] as? [String: Any] ?? [:]).keys)
                    #expect(documented.contains(String(answer.status)), "\(method) \(path) answered \(answer.status), not documented")
                }
            }
        }
    }

    /// Runs schemathesis as a real client; its exit status is 0 only when every check passed.
    /// One worker: schemathesis 4.1.4 on Python 3.11 can fail inside `ast.parse` with several.
    static func schemathesis(port: Int, token: String, only pathRegex: String?) async throws -> (status: Int32, output: String) {
        try await Subprocess.run("/usr/bin/env", [
            "schemathesis", "run", "http://127.0.0.1:\(port)/v1/openapi.json",
            "--header", "Authorization: Bearer \(token)",
            "--checks", "all", "--max-examples", "5", "--workers", "1",
            "--phases", "examples,coverage,fuzzing", "--request-timeout", "10", "--generation-deterministic",
        ] + (pathRegex.map { ["--include-path-regex", $0] } ?? []))
    }

    /// Partner and customer tokens against every operation; agent and distributor tokens
    /// against theirs (on the others they only meet the 403 the scope tests already cover).
    @Test(arguments: [("partner", nil), ("customer", nil), ("agent", "^/v1/(endpoints|releases)"), ("distributor", "^/v1/orders")] as [(String, String?)])
    func schemathesisFindsNoFailure(token: String, only pathRegex: String?) async throws {
        try await APIHarness.with { harness in
            try harness.runWakes()
            let result = try await Self.schemathesis(port: harness.port, token: harness.tokens[token]!, only: pathRegex)
            #expect(result.status == 0, "schemathesis with the \(token) token (scripts/install-deps installs it):\n\(result.output.suffix(6_000))")
        }
    }
}
