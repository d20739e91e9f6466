import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 exchange over a plain socket, so tests control every byte: bodies of any size,
/// wrong content types, a client that stops sending half-way. Runs on a thread of its own so a
/// blocking socket never holds one of Swift's cooperative threads the server needs.
struct HTTPResult: Sendable {
    let status: Int
    let headers: [String: String]
    let body: Data

    var json: Any? { try? JSONSerialization.jsonObject(with: body) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var text: String { String(decoding: body, as: UTF8.self) }

    /// The `field` of every object in the array at `key` (absent or null fields are skipped).
    func strings(_ key: String, _ field: String) -> [String] {
        (object[key] as? [[String: Any]] ?? []).compactMap { $0[field] as? String }
    }

    func count(_ key: String) -> Int? { (object[key] as? [Any])?.count }
}

enum RawHTTP {
    /// Sends `head` and `body` (in `chunks`, pausing `pause` seconds between them) and reads the
    /// answer until the server closes the connection.
    static func exchange(port: Int, head: String, body: Data = Data(), pauseBeforeBody: TimeInterval = 0,
                         sendBody: Bool = true) async throws -> HTTPResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try exchangeBlocking(port: port, head: head, body: body, pause: pauseBeforeBody,
                                                                        sendBody: sendBody) })
            }.start()
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private static func exchangeBlocking(port: Int, head: String, body: Data, pause: TimeInterval, sendBody: Bool) throws -> HTTPResult {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect: \(errno)") }
        try sendAll(fd, Data(head.utf8))
        if pause > 0 { Thread.sleep(forTimeInterval: pause) }
        if sendBody && !body.isEmpty { try? sendAll(fd, body) }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received.append(contentsOf: buffer[0..<count])
            if let result = parse(received) { return result }
        }
        guard let result = parse(received) else { throw Failure(description: "no complete HTTP answer: \(String(decoding: received, as: UTF8.self))") }
        return result
    }

    private static func sendAll(_ fd: Int32, _ data: Data) throws {
        var offset = 0
        while offset < data.count {
            let sent = data.withUnsafeBytes { send(fd, $0.baseAddress! + offset, data.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure(description: "send: \(errno)") }
            offset += sent
        }
    }

    /// A complete answer (head and Content-Length bytes of body), or nil while bytes are missing.
    private static func parse(_ data: Data) -> HTTPResult? {
        guard let end = data.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        let lines = String(decoding: data[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        guard let statusLine = lines.first, statusLine.split(separator: " ").count >= 2,
              let status = Int(statusLine.split(separator: " ")[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let body = data[end.upperBound...]
        let length = Int(headers["content-length"] ?? "0") ?? 0
        guard body.count >= length else { return nil }
        return HTTPResult(status: status, headers: headers, body: Data(body.prefix(length)))
    }
}
