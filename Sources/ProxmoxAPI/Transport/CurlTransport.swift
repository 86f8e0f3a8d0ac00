import CCurlShim
import PVESchema
#if canImport(Glibc)
import Glibc
#endif

/// What the server answered (any status).
struct HTTPResponse {
    var status: Int = 0
    var reason: String = ""
    var body: [UInt8] = []
    /// The rows of a listing, indexed while its body arrived (requests sent with `indexing:`).
    var rows: JSONRows.Builder?
    /// The server compressed the body (`Content-Encoding`; libcurl decodes it).
    var isEncoded = false
}

/// A POST/PUT body and its content type.
struct RequestBody {
    let text: String
    let contentType: String
}

/// How the TLS handshake decides about the server certificate.
enum TLSMode: Equatable {
    /// Chain verification against the system CAs, or `caFile`, with host name check.
    case verify(caFile: String?)
    /// Exactly this leaf certificate (host name not checked: the pin is stronger).
    case pinned(Fingerprint)
    /// Nothing checked.
    case insecure
}

/// Upload progress: bytes sent so far and the total (0 while unknown).
public struct TransferProgress: Sendable, Equatable {
    public let sent: Int64
    public let total: Int64
}

/// One reused libcurl easy handle (keeps the connection alive between requests).
/// Not thread-safe by itself: it is only used under `PVEClient`'s lock (hence `@unchecked`);
/// concurrent work uses sibling clients, each with its own transport.
final class CurlTransport: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    private let pin: UnsafeMutablePointer<pmx_tls_pin>
    private let errorBuffer: UnsafeMutablePointer<CChar>
    let endpoint: Endpoint
    private let connectTimeout: Double
    private let timeout: Double
    private(set) var tlsMode: TLSMode
    /// Polled while a transfer runs; true aborts it (`PVEClient.shouldAbort`, e.g. Ctrl-C).
    var shouldAbort: PVEClient.Hooks.Box<@Sendable () -> Bool>?

    init(endpoint: Endpoint, tlsMode: TLSMode, connectTimeout: Double, timeout: Double) throws(APIError) {
        CurlTransport.initializeLibraryOnce
        guard let handle = curl_easy_init() else {
            throw APIError(kind: .usage, message: "libcurl could not create a handle")
        }
        self.handle = handle
        self.endpoint = endpoint
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.tlsMode = tlsMode
        pin = .allocate(capacity: 1)
        pin.initialize(to: pmx_tls_pin())
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        pmx_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        pmx_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        pmx_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout * 1000))
        pmx_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeout * 1000))
        pmx_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "gzip")
        pmx_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
        pmx_setopt_long(handle, CURLOPT_TCP_NODELAY, 1)
        pmx_setopt_string(handle, CURLOPT_USERAGENT, "proxmux")
        pmx_install_pin(handle, pin)
        applyTLS(tlsMode)
    }

    deinit {
        curl_easy_cleanup(handle)
        pin.deinitialize(count: 1)
        pin.deallocate()
        errorBuffer.deallocate()
    }

    /// `curl_global_init` must run once before threads use curl; a lazy static runs exactly once.
    private static let initializeLibraryOnce: Void = { _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    // MARK: TLS

    func applyTLS(_ mode: TLSMode) {
        tlsMode = mode
        switch mode {
        case .verify(let caFile):
            pin.pointee.has_expected = 0
            pmx_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
            pmx_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
            if let caFile { pmx_setopt_string(handle, CURLOPT_CAINFO, caFile) }
        case .pinned(let fingerprint):
            withUnsafeMutableBytes(of: &pin.pointee.expected) { raw in
                for (i, byte) in fingerprint.bytes.enumerated() { raw[i] = byte }
            }
            pin.pointee.has_expected = 1
            // The shim's SSL_CTX callback enforces the pin; curl's own verification stays off so it
            // does not load (and parse) the system CA bundle for nothing.
            pmx_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0)
            pmx_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0)
        case .insecure:
            pin.pointee.has_expected = 0
            pmx_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0)
            pmx_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0)
        }
    }

    /// Leaf certificate fingerprint of the last handshake, if one got that far.
    var observedFingerprint: Fingerprint? {
        guard pin.pointee.has_observed != 0 else { return nil }
        let bytes = withUnsafeBytes(of: pin.pointee.observed) { Array($0) }
        return Fingerprint(bytes: bytes)
    }

    // MARK: Requests

    /// Sends one request (`body` for POST/PUT). Throws only for transport failures: HTTP error
    /// statuses are returned for the caller to interpret. With `indexing`, the answer's rows are
    /// indexed by a copy of that builder while the body arrives (`HTTPResponse.rows`).
    func perform(method: HTTPMethod, url: String, headers: [String], body: RequestBody?,
                 indexing: JSONRows.Builder? = nil) throws(APIError) -> HTTPResponse {
        var allHeaders = headers
        allHeaders.append("Expect:")
        switch method {
        case .get:
            pmx_setopt_long(handle, CURLOPT_HTTPGET, 1)
            pmx_setopt_pointer(handle, CURLOPT_CUSTOMREQUEST, nil)
        case .delete:
            pmx_setopt_long(handle, CURLOPT_HTTPGET, 1)
            pmx_setopt_string(handle, CURLOPT_CUSTOMREQUEST, "DELETE")
        case .post, .put:
            allHeaders.append("Content-Type: \(body?.contentType ?? "application/x-www-form-urlencoded")")
            pmx_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, -1)
            pmx_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, body?.text ?? "")
            if method == .put {
                pmx_setopt_string(handle, CURLOPT_CUSTOMREQUEST, "PUT")
            } else {
                pmx_setopt_pointer(handle, CURLOPT_CUSTOMREQUEST, nil)
            }
        }
        return try run(url: url, headers: allHeaders, indexing: indexing, uploadProgress: nil)
    }

    /// Multipart POST streamed from `filePath`: text `fields` first, then the file part named
    /// `fileField`. `progress` returns false to cancel. The file is read in chunks by libcurl.
    func upload(url: String, headers: [String], fields: [(String, String)], fileField: String, filePath: String,
                progress: ((TransferProgress) -> Bool)?) throws(APIError) -> HTTPResponse {
        guard let mime = curl_mime_init(handle) else {
            throw APIError(kind: .usage, message: "libcurl could not create a multipart body")
        }
        defer {
            pmx_setopt_pointer(handle, CURLOPT_MIMEPOST, nil)
            curl_mime_free(mime)
            pmx_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeout * 1000))
            pmx_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 0)
            pmx_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, 0)
        }
        for (name, value) in fields {
            let part = curl_mime_addpart(mime)
            curl_mime_name(part, name)
            curl_mime_data(part, value, pmx_zero_terminated())
        }
        let filePart = curl_mime_addpart(mime)
        curl_mime_name(filePart, fileField)
        curl_mime_type(filePart, "application/octet-stream")
        guard curl_mime_filedata(filePart, filePath) == CURLE_OK else {
            throw APIError(kind: .usage, message: "cannot read \(filePath)")
        }
        pmx_setopt_pointer(handle, CURLOPT_CUSTOMREQUEST, nil)
        pmx_setopt_pointer(handle, CURLOPT_MIMEPOST, UnsafeMutableRawPointer(mime))
        // A big upload legitimately takes longer than the request timeout; abort only when it stalls.
        pmx_setopt_long(handle, CURLOPT_TIMEOUT_MS, 0)
        pmx_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
        pmx_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, max(1, Int(timeout)))

        return try run(url: url, headers: headers + ["Expect:"], indexing: nil, uploadProgress: progress)
    }

    /// What libcurl's progress callback consults during one transfer: the abort hook and an
    /// upload's progress reporter. Remembers which of them stopped the transfer.
    private final class TransferMonitor {
        let shouldAbort: PVEClient.Hooks.Box<@Sendable () -> Bool>?
        let uploadProgress: ((TransferProgress) -> Bool)?
        var last: TransferProgress?
        private(set) var interrupted = false

        init(shouldAbort: PVEClient.Hooks.Box<@Sendable () -> Bool>?, uploadProgress: ((TransferProgress) -> Bool)?) {
            self.shouldAbort = shouldAbort
            self.uploadProgress = uploadProgress
        }

        var isNeeded: Bool { shouldAbort != nil || uploadProgress != nil }

        /// False stops the transfer.
        func proceed(_ progress: TransferProgress) -> Bool {
            if let shouldAbort, shouldAbort.call() {
                interrupted = true
                return false
            }
            guard let uploadProgress, progress != last else { return true }
            last = progress
            return uploadProgress(progress)
        }
    }

    /// Collects the status line and body of one transfer (into `rows` when indexing).
    private final class Collector {
        var response = HTTPResponse()
        let handle: UnsafeMutableRawPointer
        private var sized = false

        init(handle: UnsafeMutableRawPointer, indexing: JSONRows.Builder?) {
            self.handle = handle
            response.rows = indexing
        }

        func receive(_ chunk: UnsafeBufferPointer<UInt8>) {
            if !sized { reserveAnnouncedLength() }
            if response.rows != nil {
                response.rows?.append(chunk)
            } else {
                response.body.append(contentsOf: chunk)
            }
        }

        /// A new status line (after `100 Continue`): what came before was not the answer.
        func restart() {
            sized = false
            response.body.removeAll(keepingCapacity: true)
            response.rows?.reset()
        }

        /// The body as one text (an indexed answer's shares the builder's buffer).
        func complete() -> HTTPResponse {
            if let text = response.rows?.completeText() { response.body = text }
            return response
        }

        /// Sizes the body for the announced length on the first chunk: growing a multi-megabyte
        /// listing by doubling would copy it several times over, and fault in every copy. A gzipped
        /// answer announces its compressed length: PVE's JSON shrinks about six times (a 3.2 MB
        /// resources listing is sent as 0.55 MB), so eight times that is reserved; pages reserved
        /// but never written cost address space, and zeroing only where they share a huge page
        /// with written ones.
        private func reserveAnnouncedLength() {
            sized = true
            var length: curl_off_t = -1
            guard pmx_getinfo_off(handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK, length > 0 else { return }
            let capacity = Int(min(response.isEncoded ? length * 8 : length, 1 << 30))
            let exact = !response.isEncoded  // read before `response.rows` is being modified
            if response.rows != nil {
                response.rows?.reserveCapacity(capacity, exact: exact)
            } else {
                response.body.reserveCapacity(capacity)
            }
        }
    }

    private func run(url: String, headers: [String], indexing: JSONRows.Builder?,
                     uploadProgress: ((TransferProgress) -> Bool)?) throws(APIError) -> HTTPResponse {
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for header in headers { list = curl_slist_append(list, header) }
        defer { curl_slist_free_all(list) }
        pmx_setopt_pointer(handle, CURLOPT_HTTPHEADER, list)
        defer { pmx_setopt_pointer(handle, CURLOPT_HTTPHEADER, nil) }
        pmx_setopt_string(handle, CURLOPT_URL, url)

        let collector = Collector(handle: handle, indexing: indexing)
        let userdata = Unmanaged.passUnretained(collector).toOpaque()
        pmx_setopt_write_callback(handle, { buffer, size, count, userdata in
            guard let buffer, let userdata else { return 0 }
            let collector = Unmanaged<Collector>.fromOpaque(userdata).takeUnretainedValue()
            let length = size * count
            buffer.withMemoryRebound(to: UInt8.self, capacity: length) {
                collector.receive(UnsafeBufferPointer(start: $0, count: length))
            }
            return length
        }, userdata)
        pmx_setopt_header_callback(handle, { buffer, size, count, userdata in
            guard let buffer, let userdata else { return 0 }
            let collector = Unmanaged<Collector>.fromOpaque(userdata).takeUnretainedValue()
            let length = size * count
            buffer.withMemoryRebound(to: UInt8.self, capacity: length) {
                if CurlTransport.parseHeaderLine(UnsafeBufferPointer(start: $0, count: length), into: &collector.response) {
                    collector.restart()
                }
            }
            return length
        }, userdata)
        // libcurl calls this several times a second while waiting, so a hung server can be left
        // promptly; without a hook or an upload it stays off (no per-chunk calls).
        let monitor = TransferMonitor(shouldAbort: shouldAbort, uploadProgress: uploadProgress)
        if monitor.isNeeded {
            pmx_setopt_xferinfo_callback(handle, { userdata, _, _, total, now in
                guard let userdata else { return 0 }
                let monitor = Unmanaged<TransferMonitor>.fromOpaque(userdata).takeUnretainedValue()
                return monitor.proceed(TransferProgress(sent: Int64(now), total: Int64(total))) ? 0 : 1
            }, Unmanaged.passUnretained(monitor).toOpaque())
        }
        // A big answer is indexed on the spare thread while it arrives: started now, that thread is
        // up and asleep by the time the first rows come (see `SpareThread.start`).
        if indexing != nil, SpareThread.isUseful { SpareThread.shared.start() }
        errorBuffer[0] = 0
        pin.pointee.mismatch = 0
        pin.pointee.has_observed = 0
        let code = withExtendedLifetime((collector, monitor)) { curl_easy_perform(handle) }
        pmx_setopt_write_callback(handle, nil, nil)
        pmx_setopt_header_callback(handle, nil, nil)
        if monitor.isNeeded { pmx_setopt_xferinfo_callback(handle, nil, nil) }
        if code == CURLE_ABORTED_BY_CALLBACK, monitor.interrupted {
            throw APIError(kind: .interrupted, message: "interrupted")
        }
        guard code == CURLE_OK else { throw transportError(code) }
        var status = 0
        pmx_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        if status != 0 { collector.response.status = status }
        return collector.complete()
    }

    /// Keeps the last status line (after `100 Continue` comes the real one) and whether the body
    /// is encoded; true for a status line.
    @discardableResult
    static func parseHeaderLine(_ line: UnsafeBufferPointer<UInt8>, into response: inout HTTPResponse) -> Bool {
        let encodingName = "content-encoding:".utf8
        if line.count > encodingName.count, zip(line, encodingName).allSatisfy({ $0 | 0x20 == $1 }) {
            let value = String(decoding: line.dropFirst(encodingName.count), as: UTF8.self).trimmingWhitespace().lowercased()
            response.isEncoded = !value.isEmpty && value != "identity"
            return false
        }
        guard line.count > 5, line[0] == UInt8(ascii: "H"), line[1] == UInt8(ascii: "T"),
              line[2] == UInt8(ascii: "T"), line[3] == UInt8(ascii: "P"), line[4] == UInt8(ascii: "/") else { return false }
        response.isEncoded = false
        let text = String(decoding: line, as: UTF8.self).trimmingWhitespace()
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, let status = Int(parts[1]) else { return false }
        response.status = status
        response.reason = parts.count == 3 ? String(parts[2]) : ""
        return true
    }

    private func transportError(_ code: CURLcode) -> APIError {
        let target = endpoint.display
        var osErrno = 0
        pmx_getinfo_long(handle, CURLINFO_OS_ERRNO, &osErrno)
        let osText = osErrno != 0 ? String(cString: strerror(Int32(osErrno))).lowercased() : nil
        let detail = String(cString: errorBuffer)
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST:
            return APIError(kind: .network, message: "cannot resolve host '\(endpoint.host)' (check the url in your profile)")
        case CURLE_COULDNT_CONNECT:
            return APIError(kind: .network, message: "cannot connect to \(target): \(osText ?? detail)")
        case CURLE_OPERATION_TIMEDOUT:
            return APIError(kind: .network, message: "no answer from \(target): timed out (\(detail))")
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE:
            return APIError(kind: .network, message: "connection to \(target) failed: \(osText ?? detail)")
        case CURLE_ABORTED_BY_CALLBACK:
            return APIError(kind: .cancelled, message: "cancelled")
        case CURLE_READ_ERROR:
            return APIError(kind: .usage, message: "cannot read the file to upload (\(detail))")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CACERT_BADFILE,
             CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR:
            if pin.pointee.mismatch != 0, case .pinned(let expected) = tlsMode {
                let seen = observedFingerprint.map(String.init(describing:)) ?? "unknown"
                return APIError(kind: .tls, message: "TLS: certificate fingerprint \(seen) of \(target) does not match the pinned \(expected)")
            }
            if code == CURLE_SSL_CACERT_BADFILE, case .verify(let caFile?) = tlsMode {
                return APIError(kind: .tls, message: "TLS: cannot use the CA file \(caFile) (\(detail))")
            }
            return APIError(kind: .tls, message: "TLS: cannot verify the certificate of \(target): \(detail)")
        default:
            let text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            return APIError(kind: .network, message: "request to \(target) failed: \(text)")
        }
    }
}
