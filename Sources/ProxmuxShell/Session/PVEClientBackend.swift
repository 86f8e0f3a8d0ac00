import ProxmoxAPI
import PVESchema

/// `PVEClient` as the command layer's `APIBackend`.
public final class PVEClientBackend: APIBackend {
    public let client: PVEClient
    /// Between task status polls.
    public var pollInterval: Duration = .milliseconds(300)

    public init(client: PVEClient) { self.client = client }

    public func request(_ method: HTTPMethod, _ path: String, _ params: [(String, String)]) throws -> JSON {
        try client.send(APIRequest(method, path, params: params))
    }

    public func rows(_ path: String, _ params: [(String, String)], keys: [String]) throws -> JSONRows {
        try client.rows(path, query: params, keys: keys)
    }

    public func sibling() throws -> APIBackend {
        let copy = PVEClientBackend(client: client.sibling())
        copy.pollInterval = pollInterval
        return copy
    }

    public func waitForTask(_ upid: String) throws -> String {
        guard let parsed = UPID(upid) else { throw ShellError("the server returned '\(upid)', which is not a task id") }
        return try client.waitForTask(parsed, pollInterval: pollInterval).exitStatus ?? "still running (\(upid))"
    }
}
