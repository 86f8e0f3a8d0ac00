import PVESchema
#if canImport(Glibc)
import Glibc
#endif

extension PVEClient {
    /// All of `/cluster/resources` in one call (optionally `type=vm|storage|node|sdn`); rows that
    /// are not resources are skipped.
    public func resources(type: String? = nil) throws(APIError) -> [ClusterResource] {
        let data = try get("/cluster/resources", query: type.map { [("type", $0)] } ?? [])
        guard let resources = ClusterResource.list(data) else {
            throw APIError(kind: .decoding, message: "GET /cluster/resources: expected a list, got \(data.serialized().prefix(60))")
        }
        return resources
    }

    /// `/nodes/{node}/status`.
    public func nodeStatus(_ node: String) throws(APIError) -> NodeStatus {
        NodeStatus(try get("/nodes/\(node)/status"))
    }

    /// `/cluster/nextid` (PVE returns it as a string).
    public func nextVMID() throws(APIError) -> Int {
        let data = try get("/cluster/nextid")
        guard let id = data.int else {
            throw APIError(kind: .decoding, message: "GET /cluster/nextid: expected a number, got \(data.serialized())")
        }
        return Int(id)
    }

    /// Uploads an ISO / container template / import file to `storage` on `node`, streamed from disk
    /// as multipart (`content`, then the file part `filename`). `progress` gets byte counts and
    /// returns false to cancel. Never retried. Returns the server's task id.
    public func upload(node: String, storage: String, content: String, filePath: String,
                       progress: ((TransferProgress) -> Bool)? = nil) throws(APIError) -> UPID {
        var info = stat()
        guard stat(filePath, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw APIError(kind: .usage, message: "cannot upload \(filePath): not a readable regular file")
        }
        let path = "/nodes/\(node)/storage/\(storage)/upload"
        let request = APIRequest(.post, path, params: [("content", content), ("filename", filePath)])
        let response = try withTransport { transport throws(APIError) -> HTTPResponse in
            try ensureTicket(on: transport)
            let url = transport.endpoint.apiBase + FormEncoding.encodePath(path)
            var reauthenticated = false
            while true {
                let answer = try traced(request) { () throws(APIError) -> HTTPResponse in
                    try transport.upload(url: url, headers: authHeaders(for: .post), fields: [("content", content)],
                                         fileField: "filename", filePath: filePath, progress: progress)
                }
                if answer.status == 401, case .password = settings.credentials, !reauthenticated {
                    reauthenticated = true
                    session.ticket = nil
                    try ensureTicket(on: transport)
                    continue
                }
                guard (200..<300).contains(answer.status) else {
                    throw APIError.http(status: answer.status, reason: answer.reason, body: answer.body, method: "POST",
                                        path: path, host: transport.endpoint.host, tokenID: tokenID)
                }
                return answer
            }
        }
        let data = try Self.decodeData(response.body, request: request)
        guard let text = data.string, let upid = UPID(text) else {
            throw APIError(kind: .decoding, message: "POST \(path): expected a task id, got \(data.serialized().prefix(80))")
        }
        return upid
    }
}
