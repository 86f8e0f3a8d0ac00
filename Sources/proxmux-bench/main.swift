// proxmux-bench: measurements that need the shell in-process (scripts/bench/run.py drives it).
//   proxmux-bench completion    TAB latency with the cluster cache full; prints JSON (ms)
// Connects like proxmux does (profile / PROXMUX_* environment).
import ProxmuxShell
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

guard CommandLine.arguments.dropFirst().first == "completion" else {
    print("usage: proxmux-bench completion")
    exit(2)
}

/// Times TAB answers from a full cache and prints p50/p99/max as JSON.
func runCompletionBenchmark() -> Int32 {
    var settings = ShellSettings()
    settings.interactive = false
    let (session, dispatcher) = ShellEnvironment.make(profile: nil, settings: settings, console: Console.capturing())
    session.cache.ttl = 3600  // measure answers from a full cache, as after the first TAB

    // What people TAB on: guests by id and name prefix (filtered by state), paths, flags, enum values.
    let requests: [CompletionRequest] = [
        CompletionRequest(words: ["start"], prefix: "load-0"),
        CompletionRequest(words: ["stop"], prefix: "1"),
        CompletionRequest(words: ["show"], prefix: ""),
        CompletionRequest(words: ["cd"], prefix: "/nodes/p"),
        CompletionRequest(words: ["ls"], prefix: "-"),
        CompletionRequest(words: ["create", "vm", "--ostype"], prefix: "w"),
        CompletionRequest(words: [], prefix: "sta"),
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
    print("{\"samples\": \(sorted.count), \"p50_ms\": \(percentile(0.5)), \"p99_ms\": \(percentile(0.99)), \"max_ms\": \(sorted.last ?? 0), \"candidates\": \(candidates)}")
    return 0
}

exit(runCompletionBenchmark())
