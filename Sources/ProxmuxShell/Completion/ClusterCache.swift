#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import ProxmoxAPI
import PVESchema

/// Cluster objects for TAB completion: one `/cluster/resources` snapshot kept for a few seconds,
/// dropped (but kept as stale fallback) after mutating commands. A TAB waits at most `budget`
/// seconds for a refresh; past that it answers from stale data, or with nothing, while the fetch
/// finishes in the background and fills the cache for the next TAB.
public final class ClusterCache: @unchecked Sendable {
    // Guarded by `lock`: background refreshes complete on another thread.
    private var lock = pthread_mutex_t()
    private var snapshot: ClusterSnapshot?
    private var fetchedAt: Double = -.infinity
    private var refreshing = false
    /// Small per-object lists (snapshots of a guest, bridges of a node) with the same TTL.
    private var extras: [String: (at: Double, values: [Completion])] = [:]

    public var ttl: Double = 5
    public var budget: Double = 0.8

    public init() { pthread_mutex_init(&lock, nil) }
    deinit { pthread_mutex_destroy(&lock) }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return body()
    }

    /// Stores a snapshot fetched elsewhere (target resolution, `ls`), so the next TAB is free.
    public func store(_ fresh: ClusterSnapshot) {
        locked {
            snapshot = fresh
            fetchedAt = Self.now()
        }
    }

    /// Marks everything stale after a mutating command; stale data still answers a slow TAB.
    public func invalidate() {
        locked {
            fetchedAt = -.infinity
            extras.removeAll()
        }
    }

    /// The current snapshot, refreshed through `api` when older than the TTL, waiting at most `budget`.
    public func current(using api: () throws -> APIBackend) -> ClusterSnapshot? {
        let (cached, fresh, busy) = locked { (snapshot, Self.now() - fetchedAt < ttl, refreshing) }
        if fresh { return cached }
        if !busy {
            guard let worker = try? api().sibling() else { return cached }
            startRefresh(with: worker)
        }
        return waitForRefresh() ?? cached
    }

    private func startRefresh(with worker: APIBackend) {
        locked { refreshing = true }
        let box = UncheckedBox(worker)
        DispatchQueue.global().async { [self] in
            let fetched = try? box.value.clusterSnapshot()
            locked {
                if let fetched { snapshot = fetched; fetchedAt = Self.now() }
                refreshing = false
            }
        }
    }

    private func waitForRefresh() -> ClusterSnapshot? {
        let deadline = Self.now() + budget
        while Self.now() < deadline {
            let (done, value) = locked { (!refreshing, snapshot) }
            if done { return value }
            usleep(2_000)
        }
        return nil
    }

    /// Cached small list by key, or fetched with `load` (not time-bounded beyond the client's own limits).
    public func extra(_ key: String, load: () throws -> [Completion]) -> [Completion] {
        if let hit = locked({ extras[key] }), Self.now() - hit.at < ttl { return hit.values }
        guard let values = try? load() else { return locked { extras[key]?.values } ?? [] }
        locked { extras[key] = (Self.now(), values) }
        return values
    }
}

/// Moves a non-Sendable value to exactly one other thread that becomes its only user.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
