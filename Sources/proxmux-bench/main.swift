// proxmux-bench: measurements that need the shell in-process (scripts/bench/run.py drives it).
//   proxmux-bench completion         TAB latency with the cluster cache full; prints JSON (ms)
//   proxmux-bench listing FILE [N]   `ls /vms` (and variants) over a saved /cluster/resources
//                                    answer, without the network; prints JSON (median ms)
// `completion` connects like proxmux does (profile / PROXMUX_* environment).
import ProxmoxAPI
import ProxmuxShell
import PVESchema
#if canImport(Glibc)
import Glibc
#endif

func milliseconds(_ start: timespec, _ end: timespec) -> Double {
    Double(end.tv_sec - start.tv_sec) * 1000 + Double(end.tv_nsec - start.tv_nsec) / 1_000_000
}

func now() -> timespec {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return t
}

/// CPU time of this thread: steadier than wall time on a busy machine.
func threadCPU() -> timespec {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return t
}

let usage = "usage: proxmux-bench completion | proxmux-bench listing FILE [RUNS]"

/// Times TAB answers from a full cache and prints p50/p99/max as JSON.
func runCompletionBenchmark() -> Int32 {
    var settings = ShellSettings()
    settings.interactive = false
    let (session, dispatcher) = ShellEnvironment.make(profile: nil, settings: settings, console: Console.capturing())
    session.cache.ttl = 3600  // measure answers from a full cache, as after the first TAB

    // What people TAB on: guests by id and name prefix (filtered by state), paths, flags, enum
    // values, API paths (a node's VMs) and parameters.
    let requests: [CompletionRequest] = [
        CompletionRequest(words: ["start"], prefix: "load-0"),
        CompletionRequest(words: ["stop"], prefix: "1"),
        CompletionRequest(words: ["show"], prefix: ""),
        CompletionRequest(words: ["cd"], prefix: "/nodes/p"),
        CompletionRequest(words: ["ls"], prefix: "-"),
        CompletionRequest(words: ["create", "vm", "--ostype"], prefix: "w"),
        CompletionRequest(words: [], prefix: "sta"),
        CompletionRequest(words: ["api", "get"], prefix: "/nodes/pve1/qemu/"),
        CompletionRequest(words: ["api", "set", "/nodes/pve1/qemu/100/config"], prefix: "ost"),
    ]
    // The first TAB fetches in the background when the answer takes longer than the TAB budget:
    // wait (up to 30 s) until the cache is full.
    var warm: [Completion] = []
    for _ in 0..<300 where warm.isEmpty {
        warm = dispatcher.complete(requests[0])
        if warm.isEmpty { usleep(100_000) }
    }
    guard !warm.isEmpty else {
        print("{\"error\": \"no candidates for 'start load-0': is the simulator running with --guests?\"}")
        return 1
    }

    // The first API path TAB also reads the schema: timed once, on its own.
    let schemaStart = now()
    _ = dispatcher.complete(CompletionRequest(words: ["api", "get"], prefix: "/"))
    let firstAPITab = milliseconds(schemaStart, now())

    var samples: [Double] = []
    var candidates = 0
    for _ in 0..<300 {
        for request in requests {
            let start = now()
            candidates += dispatcher.complete(request).count
            samples.append(milliseconds(start, now()))
        }
    }
    samples.sort()
    let sorted = samples
    func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
    print("{\"samples\": \(sorted.count), \"p50_ms\": \(percentile(0.5)), \"p99_ms\": \(percentile(0.99)), \"max_ms\": \(sorted.last ?? 0), \"candidates\": \(candidates), \"first_api_tab_ms\": \(firstAPITab)}")
    return 0
}

/// Answers every read with one saved `/cluster/resources?type=vm` answer, as the client would.
final class SavedAnswer: APIBackend {
    let body: [UInt8]
    init(body: [UInt8]) { self.body = body }

    func request(_ method: HTTPMethod, _ path: String, _ params: [(String, String)]) throws -> JSON {
        try JSON.parse(body)["data"] ?? .null
    }
    func rows(_ path: String, _ params: [(String, String)], keys: [String]) throws -> JSONRows {
        try JSONRows(parsing: body, member: "data", keys: keys)
    }
    func sibling() throws -> APIBackend { self }
    func waitForTask(_ upid: String) throws -> String { "OK" }
}

/// Times the client's share of a listing (decode, filter, sort, render, write to /dev/null).
func runListingBenchmark(file: String, runs: Int) -> Int32 {
    guard let handle = fopen(file, "rb") else { print("{\"error\": \"cannot read \(file)\"}"); return 1 }
    var body: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&chunk, 1, chunk.count, handle)
        if n <= 0 { break }
        body.append(contentsOf: chunk[0..<n])
    }
    fclose(handle)
    let null = open("/dev/null", O_WRONLY)
    var settings = ShellSettings()
    settings.interactive = false
    var results: [String] = []
    for (name, words, format) in [("ls", ["ls", "/vms"], ShellSettings.OutputFormat.text),
                                  ("ls -l", ["ls", "-l", "/vms"], .text),
                                  ("ls on one node", ["ls", "/nodes/pve2/vms"], .text),
                                  ("ls -o json", ["ls", "/vms"], .json)] {
        settings.output = format
        let (_, dispatcher) = ShellEnvironment.make(profileName: "bench", settings: settings, console: Console(outFD: null, errFD: 2),
                                                    connect: { SavedAnswer(body: body) })
        var wall: [Double] = [], cpu: [Double] = []
        for _ in 0..<runs {
            let (start, startCPU) = (now(), threadCPU())
            do {
                try dispatcher.execute(words: words, at: SourceLocation(source: "bench", line: 1))
            } catch {
                print("{\"error\": \"\(name): \(error)\"}")
                return 1
            }
            wall.append(milliseconds(start, now()))
            cpu.append(milliseconds(startCPU, threadCPU()))
        }
        wall.sort()
        cpu.sort()
        results.append("\"\(name)\": {\"wall\": \(wall[wall.count / 2]), \"cpu\": \(cpu[cpu.count / 2])}")
    }
    print("{\"bytes\": \(body.count), \"runs\": \(runs), \"median_ms\": {\(results.joined(separator: ", "))}}")
    return 0
}

// Malloc set up as proxmux sets it.
PageAdvice.keepBlocksOnOneHeap()
let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "completion": exit(runCompletionBenchmark())
case "listing" where arguments.count >= 2: exit(runListingBenchmark(file: arguments[1], runs: arguments.count > 2 ? Int(arguments[2]) ?? 20 : 20))
default:
    print(usage)
    exit(2)
}
