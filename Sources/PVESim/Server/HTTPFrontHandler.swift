import NIOCore
import NIOHTTP1
#if canImport(Glibc)
import Glibc
#endif

/// One connection's HTTP/1.1 state: collects a request (streaming multipart uploads through
/// `MultipartParser`), answers `Expect: 100-continue`, and writes `APIFront`'s reply in one flush.
final class HTTPFrontHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum BodySink {
        case buffer([UInt8])
        case multipart(MultipartParser)
        /// Body is read and thrown away (an early error is already decided).
        case discard
    }

    private let front: APIFront
    private var pending: APIFront.Pending?
    private var sink = BodySink.discard
    private var keepAlive = true
    private var bodyError: SimError?
    private var started: UInt64 = 0

    init(front: APIFront) {
        self.front = front
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): receiveHead(head, context: context)
        case .body(let buffer): receiveBody(buffer)
        case .end: receiveEnd(context: context)
        }
    }

    private func receiveHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        started = Self.monotonicNanos()
        keepAlive = head.isKeepAlive
        bodyError = nil
        let uri = head.uri
        let question = uri.firstIndex(of: "?")
        let rawPath = uri[..<(question ?? uri.endIndex)]
        let query = question.map { uri[uri.index(after: $0)...] }
        let path: String
        if rawPath.hasPrefix(APIFront.apiPrefix + "/") || rawPath == APIFront.apiPrefix {
            let rest = rawPath.dropFirst(APIFront.apiPrefix.count)
            path = rest.isEmpty ? "/" : String(rest)
        } else {
            path = String(rawPath)
        }
        let headers = head.headers.map { ($0.name, $0.value) }
        let apiHead = APIFront.Head(method: head.method.rawValue, path: path, query: query, headers: headers)
        let isAPI = rawPath.hasPrefix(APIFront.apiPrefix) || path == APIFront.controlPath
        let decision = isAPI ? front.begin(apiHead) : .proceed(front.reject(apiHead, .notImplemented(head.method.rawValue, path)))
        guard case .proceed(let pending) = decision else {
            log(apiHead, status: 0)
            context.close(promise: nil)
            return
        }
        self.pending = pending
        let expectsContinue = head.headers["expect"].contains { $0.lowercased() == "100-continue" }
        if pending.injected != nil {
            sink = .discard
            if expectsContinue {
                // The client waits for our go-ahead before sending the body: answer now and close,
                // since the unread body would otherwise be taken for the next request.
                keepAlive = false
                respond(context: context)
            }
            return
        }
        if pending.isUpload, let type = apiHead.header("content-type"), let boundary = MultipartParser.boundary(fromContentType: type) {
            sink = .multipart(MultipartParser(boundary: boundary))
        } else {
            sink = .buffer([])
        }
        if expectsContinue {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
    }

    private func receiveBody(_ buffer: ByteBuffer) {
        switch sink {
        case .discard: return
        case .buffer(var bytes):
            sink = .discard  // drop the reference so the append does not copy
            guard bytes.count + buffer.readableBytes <= front.options.maxBodyBytes else {
                bodyError = SimError(status: 413, reason: "request entity too large")
                return
            }
            bytes.append(contentsOf: buffer.readableBytesView)
            sink = .buffer(bytes)
        case .multipart(var parser):
            sink = .discard
            do {
                try buffer.withUnsafeReadableBytes { raw throws(MultipartParser.ParseError) in try parser.feed(raw) }
                sink = .multipart(parser)
            } catch {
                bodyError = SimError(status: 400, reason: error.description)
            }
        }
    }

    private func receiveEnd(context: ChannelHandlerContext) {
        guard pending != nil else { return }  // already answered (early error with Expect)
        respond(context: context)
    }

    private func respond(context: ChannelHandlerContext) {
        guard let pending else { return }
        self.pending = nil
        let reply: APIFront.Reply
        if let bodyError {
            reply = front.reply(bodyError, delayMs: pending.delayMs)
        } else {
            switch sink {
            case .buffer(let bytes): reply = front.finish(pending, body: bytes)
            case .multipart(let parser):
                reply = parser.isComplete ? front.finish(pending, body: [], upload: parser)
                    : front.reply(SimError(status: 400, reason: "malformed multipart body: missing final boundary"), delayMs: pending.delayMs)
            case .discard: reply = front.finish(pending, body: [])
            }
        }
        sink = .discard
        let keepAlive = self.keepAlive
        if reply.delayMs > 0 {
            let loop = context.eventLoop.assumeIsolated()
            loop.scheduleTask(in: .milliseconds(Int64(reply.delayMs))) { [self] in
                self.write(reply, head: pending.head, keepAlive: keepAlive, context: context)
            }
        } else {
            write(reply, head: pending.head, keepAlive: keepAlive, context: context)
        }
    }

    private func write(_ reply: APIFront.Reply, head: APIFront.Head, keepAlive: Bool, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let compressed = front.options.compression && head.acceptsGzip ? Gzip.compressed(reply.body) : nil
        let body = compressed ?? reply.body
        var buffer = context.channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        var headers = HTTPHeaders()
        headers.reserveCapacity(7)
        headers.add(name: "Content-Type", value: "application/json;charset=UTF-8")
        if compressed != nil { headers.add(name: "Content-Encoding", value: "gzip") }
        headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        headers.add(name: "Cache-Control", value: "max-age=0")
        headers.add(name: "Server", value: "pve-api-daemon/3.0")
        headers.add(name: "Connection", value: keepAlive ? "Keep-Alive" : "close")
        // `.custom` keeps our reason phrase: PVE carries most error text there.
        let status = HTTPResponseStatus.custom(code: UInt(reply.status), reasonPhrase: reply.reason)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
        log(head, status: reply.status)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    // MARK: Logging

    /// One line per request on stderr with `--verbose`: method, path, status, milliseconds.
    /// Paths and statuses only: parameters, headers and bodies (passwords, tickets, tokens) are never logged.
    private func log(_ head: APIFront.Head, status: Int) {
        guard front.options.verbose else { return }
        let ms = Double(Self.monotonicNanos() - started) / 1_000_000
        let statusText = status == 0 ? "dropped" : String(status)
        let line = "pve-sim: \(head.method) \(head.path) \(statusText) \(Int(ms.rounded()))ms\n"
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }

    static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
