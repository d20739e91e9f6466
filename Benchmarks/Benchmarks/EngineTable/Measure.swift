import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock seconds of `body`.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// A child process's wall time and peak resident set, from `wait4` (the kernel's own account).
struct ChildRun {
    var seconds: Double
    var peakRSSBytes: Int
    var status: Int32
}

/// Starts `arguments` (absolute path first) in the background with stdout and stderr to `log`;
/// returns its pid.
func spawn(_ arguments: [String], log: String) throws -> pid_t {
    var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
    guard spawned == 0 else { throw BenchError("cannot start \(arguments[0]): \(String(cString: strerror(spawned)))") }
    return pid
}

/// Runs `arguments` to the end, like `spawn`, and measures it.
func runMeasured(_ arguments: [String], log: String) throws -> ChildRun {
    let start = ContinuousClock.now
    let pid = try spawn(arguments, log: log)
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let elapsed = ContinuousClock.now - start
    let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return ChildRun(seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                    peakRSSBytes: Int(usage.ru_maxrss) * 1024, status: exit)
}

/// User + system CPU seconds a live process has used so far (`/proc/PID/stat`, fields 14 and 15).
func cpuSeconds(of pid: pid_t) throws -> Double {
    let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
    // The command name (field 2) may hold spaces; fields are counted after its closing parenthesis.
    guard let close = stat.lastIndex(of: ")") else { throw BenchError("unreadable /proc/\(pid)/stat") }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else {
        throw BenchError("unreadable /proc/\(pid)/stat")
    }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Copies a database file (its WAL is checkpointed away before every copy).
func copyDatabase(_ source: String, to destination: String) throws {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: destination + suffix) }
    try FileManager.default.copyItem(atPath: source, toPath: destination)
}

func removeDatabase(_ path: String) {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
}

func formatSeconds(_ value: Double) -> String {
    if value.isNaN { return "–" }
    if value < 1 { return String(format: "%.0f ms", value * 1000) }
    return String(format: "%.2f s", value)
}

func formatBytes(_ bytes: Int) -> String {
    String(format: "%.2f GiB", Double(bytes) / Double(1 << 30))
}
