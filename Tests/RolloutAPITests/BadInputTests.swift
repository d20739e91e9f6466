import Foundation
import RolloutStore
import RolloutEngine
import Testing

/// Bad input: a clear 4xx as problem+json, nothing written, the server still answering.
@Suite(.serialized) struct BadInputTests {
    static let limits = "[api]\nmax_body_bytes = 1024\nrequest_timeout_seconds = 1\n"

    @Test func badBodiesAreRefusedWithTheirProblem() async throws {
        try await APIHarness.with(configuration: Self.limits) { harness in
            let before = try harness.snapshot()
            let path = "/v1/organisations/contoso/schedule"
            let cases: [(body: String, status: Int, pointer: String?)] = [
                ("{", 400, nil),
                ("[]", 400, nil),
                ("\"slow\"", 400, nil),
                (#"{"cadence":5}"#, 422, "/cadence"),
                (#"{"cadence":"slow","defer_weeks":"8"}"#, 422, "/defer_weeks"),
                (#"{"cadence":"slow","defer_weeks":8.5}"#, 422, "/defer_weeks"),
                (#"{"cadence":"slow","defer_weeks":true}"#, 422, "/defer_weeks"),
                (#"{"cadence":"weekly"}"#, 422, "/cadence"),
                (#"{"cadence":"slow","colour":"blue"}"#, 422, "/colour"),
                (#"{}"#, 422, "/cadence"),
                (#"{"cadence":"slow","defer_weeks":99999999999999999999}"#, 422, "/defer_weeks"),
            ]
            for item in cases {
                let answer = try await harness.call("PUT", path, as: "partner", body: item.body)
                #expect(answer.status == item.status, "\(item.body): \(answer.status) \(answer.text)")
                #expect(answer.headers["content-type"] == "application/problem+json")
                #expect(answer.object["rule"] as? String == "API-5")
                if let pointer = item.pointer {
                    #expect((answer.object["errors"] as? [[String: Any]])?.contains { $0["pointer"] as? String == pointer } == true,
                            "\(item.body): \(answer.text)")
                }
            }
            let empty = try await harness.call("PUT", path, as: "partner", body: "")
            #expect(empty.status == 400)
            let query = try await harness.call("GET", "/v1/notifications?after=1&colour=blue", as: "partner")
            #expect(query.status == 422)
            let route = try await harness.call("GET", "/v1/no-such-thing", as: "partner")
            #expect(route.status == 404)
            #expect(route.headers["content-type"] == "application/problem+json")
            #expect(try harness.snapshot() == before)
            #expect(try await harness.call("GET", "/v1/health", as: nil).status == 200)
        }
    }

    @Test func oversizedBodiesAreRefusedBeforeTheyAreRead() async throws {
        try await APIHarness.with(configuration: Self.limits) { harness in
            let before = try harness.snapshot()
            let big = #"{"cadence":"slow","pad":""# + String(repeating: "x", count: 4_000) + #""}"#
            let declared = try await harness.call("PUT", "/v1/organisations/contoso/schedule", as: "partner", body: big)
            #expect(declared.status == 413)
            #expect(declared.headers["content-type"] == "application/problem+json")
            // Chunked, so no Content-Length warns the server: refused once the limit is crossed.
            let chunk = String(big.utf8.count, radix: 16)
            let head = "PUT /v1/organisations/contoso/schedule HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                + "Authorization: Bearer \(harness.tokens["partner"]!)\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            let chunked = try await RawHTTP.exchange(port: harness.port, head: head, body: Data("\(chunk)\r\n\(big)\r\n0\r\n\r\n".utf8))
            #expect(chunked.status == 413)
            #expect(try harness.snapshot() == before)
            #expect(try await harness.call("GET", "/v1/health", as: nil).status == 200)
        }
    }

    @Test func aClientTooSlowToSendItsBodyGets408() async throws {
        try await APIHarness.with(configuration: Self.limits) { harness in
            let before = try harness.snapshot()
            let body = Data(#"{"cadence":"slow"}"#.utf8)
            let head = "PUT /v1/organisations/contoso/schedule HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                + "Authorization: Bearer \(harness.tokens["partner"]!)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
            let slow = try await RawHTTP.exchange(port: harness.port, head: head, body: body, pauseBeforeBody: 2.5)
            #expect(slow.status == 408, "\(slow.text)")
            #expect(slow.object["rule"] as? String == "API-6")
            // A client that never sends its body at all.
            let silent = try await RawHTTP.exchange(port: harness.port, head: head, sendBody: false)
            #expect(silent.status == 408)
            #expect(try harness.snapshot() == before)
            #expect(try await harness.call("GET", "/v1/health", as: nil).status == 200)
        }
    }
}
