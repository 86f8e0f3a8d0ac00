import ProxmoxAPI
import PVESchema

/// The calls the command layer makes against a PVE API. `PVEClient` (ProxmoxAPI) is adapted to it
/// in `PVEClientBackend.swift`; tests may use any other implementation (an in-memory cluster). Parameters are form values as
/// PVE expects them (booleans `0|1`); the result is the `data` member of the response.
/// It is also the `TaskCalls` the task watcher and wizards use, so one connection serves them all.
public protocol APIBackend: TaskCalls {
    func request(_ method: HTTPMethod, _ path: String, _ params: [(String, String)]) throws -> JSON
    /// A GET whose `data` is a list of objects, with the values of `keys` indexed (big listings).
    func rows(_ path: String, _ params: [(String, String)], keys: [String]) throws -> JSONRows
    /// An independent connection for concurrent work (one per worker thread).
    func sibling() throws -> APIBackend
    /// Waits until the task finishes and returns its exit status (`OK`, `WARNINGS: n`, or the error text).
    func waitForTask(_ upid: String) throws -> String
}

extension APIBackend {
    public func get(_ path: String, _ params: [(String, String)] = []) throws -> JSON {
        try request(.get, path, params)
    }

    /// One reading of `/cluster/resources` (of one `type`: `vm`, `node`, `storage`...), indexed
    /// rather than decoded: a 10,000-guest answer takes a few milliseconds instead of a tenth of
    /// a second.
    public func clusterSnapshot(type: String? = nil) throws -> ClusterSnapshot {
        ClusterSnapshot(resources: try rows("/cluster/resources", type.map { [("type", $0)] } ?? [], keys: ClusterResource.indexedKeys))
    }

    /// Backends without a text form of their answers index decoded values.
    public func rows(_ path: String, _ params: [(String, String)], keys: [String]) throws -> JSONRows {
        JSONRows(try get(path, params).array ?? [], keys: keys)
    }
}
