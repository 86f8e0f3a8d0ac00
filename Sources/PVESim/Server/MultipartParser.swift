#if canImport(Glibc)
import Glibc
#endif

/// An incremental `multipart/form-data` parser for the upload endpoint.
///
/// Body chunks go in as they arrive; small fields are collected (each capped), while the file
/// part's bytes are only counted and, on request, hashed — never stored — so memory stays flat
/// however large the upload is. Only a delimiter's length of bytes is carried between chunks.
struct MultipartParser {
    enum ParseError: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case fieldTooLarge(String)

        var description: String {
            switch self {
            case .malformed(let why): return "malformed multipart body: \(why)"
            case .fieldTooLarge(let name): return "multipart field '\(name)' is too large"
            }
        }
    }

    private enum State {
        case preamble
        case headers
        case content
        case afterDelimiter
        case epilogue
    }

    static let maxFieldBytes = 64 * 1024
    static let maxHeaderBytes = 16 * 1024

    /// Extracts the boundary from a `Content-Type: multipart/form-data; boundary=...` header.
    static func boundary(fromContentType contentType: String) -> String? {
        let lower = contentType.lowercased()
        guard lower.hasPrefix("multipart/form-data") else { return nil }
        for param in contentType.split(separator: ";").dropFirst() {
            let trimmed = param.drop(while: { $0 == " " })
            guard trimmed.lowercased().hasPrefix("boundary=") else { continue }
            var value = trimmed.dropFirst("boundary=".count)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
            return value.isEmpty || value.count > 200 ? nil : String(value)
        }
        return nil
    }

    private let delimiter: [UInt8]  // "\r\n--" + boundary
    private var state = State.preamble
    private var carry: [UInt8] = []
    private var headerBytes: [UInt8] = []
    private var currentName = ""
    private var currentIsFile = false
    private var currentField: [UInt8] = []

    /// Small fields by name.
    private(set) var fields: [String: String] = [:]
    /// `filename="..."` of the file part.
    private(set) var fileName: String?
    /// Name of the form field that carried the file (`filename` for PVE).
    private(set) var fileFieldName: String?
    private(set) var fileSize: Int64 = 0
    /// The file part's digest, chosen before its bytes arrive (from `checksum-algorithm` if it came first).
    private var digest: ChecksumDigest?
    /// Hex digest of the file when one was computed.
    private(set) var fileDigestHex: String?
    private(set) var digestAlgorithm: String?
    var isComplete: Bool { if case .epilogue = state { return true } else { return false } }

    init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        // The first delimiter may start the body without a preceding CRLF.
        carry = [0x0D, 0x0A]
    }

    mutating func feed(_ chunk: UnsafeRawBufferPointer) throws(ParseError) {
        var data = carry
        data.append(contentsOf: chunk)
        carry.removeAll(keepingCapacity: true)
        try data.withUnsafeBufferPointer { buf throws(ParseError) in try process(buf) }
    }

    private mutating func process(_ buf: UnsafeBufferPointer<UInt8>) throws(ParseError) {
        var index = 0
        while index < buf.count {
            switch state {
            case .preamble, .content:
                if let hit = find(delimiter, in: buf, from: index) {
                    if case .content = state { try consumeContent(UnsafeBufferPointer(rebasing: buf[index..<hit])) ; try finishPart() }
                    index = hit + delimiter.count
                    state = .afterDelimiter
                } else {
                    // Keep a possible partial delimiter for the next chunk.
                    let keep = min(delimiter.count - 1, buf.count - index)
                    let end = buf.count - keep
                    if case .content = state { try consumeContent(UnsafeBufferPointer(rebasing: buf[index..<end])) }
                    carry.append(contentsOf: buf[end...])
                    return
                }
            case .afterDelimiter:
                guard buf.count - index >= 2 else { carry.append(contentsOf: buf[index...]); return }
                if buf[index] == UInt8(ascii: "-"), buf[index + 1] == UInt8(ascii: "-") {
                    state = .epilogue
                    return
                }
                // Transport padding (spaces/tabs) then CRLF.
                var i = index
                while i < buf.count, buf[i] == 0x20 || buf[i] == 0x09 { i += 1 }
                guard buf.count - i >= 2 else { carry.append(contentsOf: buf[index...]); return }
                guard buf[i] == 0x0D, buf[i + 1] == 0x0A else { throw .malformed("expected CRLF after boundary") }
                index = i + 2
                headerBytes.removeAll(keepingCapacity: true)
                state = .headers
            case .headers:
                let start = headerBytes.count
                headerBytes.append(contentsOf: buf[index...])
                if let end = find([0x0D, 0x0A, 0x0D, 0x0A], in: headerBytes, from: max(0, start - 3)) {
                    let consumed = end + 4 - start
                    index += consumed
                    try beginPart(headers: String(decoding: headerBytes[..<end], as: UTF8.self))
                    state = .content
                } else {
                    guard headerBytes.count <= Self.maxHeaderBytes else { throw .malformed("part headers too long") }
                    return
                }
            case .epilogue:
                return
            }
        }
    }

    private mutating func beginPart(headers: String) throws(ParseError) {
        currentName = ""
        currentIsFile = false
        currentField.removeAll(keepingCapacity: true)
        for line in headers.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == "content-disposition" else { continue }
            let value = line[line.index(after: colon)...]
            if let name = Self.dispositionParameter("name", in: value) { currentName = name }
            if let file = Self.dispositionParameter("filename", in: value) {
                currentIsFile = true
                fileName = file
                fileFieldName = currentName
            }
        }
        guard !currentName.isEmpty else { throw .malformed("part without a name") }
        if currentIsFile {
            guard fileFieldName != nil, fileSize == 0 else { throw .malformed("more than one file part") }
            digest = fields["checksum-algorithm"].flatMap(ChecksumDigest.init(algorithm:))
            digestAlgorithm = digest == nil ? nil : fields["checksum-algorithm"]
        }
    }

    private mutating func consumeContent(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) {
        guard !bytes.isEmpty else { return }
        if currentIsFile {
            fileSize += Int64(bytes.count)
            digest?.update(bytes)
        } else {
            guard currentField.count + bytes.count <= Self.maxFieldBytes else { throw .fieldTooLarge(currentName) }
            currentField.append(contentsOf: bytes)
        }
    }

    private mutating func finishPart() throws(ParseError) {
        if currentIsFile {
            fileDigestHex = digest?.finalize().hexString
            digest = nil
        } else {
            fields[currentName] = String(decoding: currentField, as: UTF8.self)
        }
    }

    /// `name="value"` (or unquoted) from a Content-Disposition header value.
    static func dispositionParameter(_ key: String, in value: Substring) -> String? {
        for param in value.split(separator: ";").dropFirst() {
            let trimmed = param.drop(while: { $0 == " " })
            guard let eq = trimmed.firstIndex(of: "="), trimmed[..<eq].lowercased() == key else { continue }
            var v = trimmed[trimmed.index(after: eq)...]
            if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = v.dropFirst().dropLast() }
            return String(v)
        }
        return nil
    }

    private func find(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let base = haystack.baseAddress, haystack.count - start >= needle.count else { return nil }
        // memchr for the first byte, memcmp for the rest (memmem is a GNU extension Swift does not see).
        return needle.withUnsafeBytes { n -> Int? in
            guard let first = n.first, let rest = n.baseAddress else { return nil }
            var position = start
            let lastStart = haystack.count - needle.count
            while position <= lastStart {
                guard let hit = memchr(base + position, Int32(first), lastStart - position + 1) else { return nil }
                let offset = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if memcmp(base + offset, rest, n.count) == 0 { return offset }
                position = offset + 1
            }
            return nil
        }
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        haystack.withUnsafeBufferPointer { find(needle, in: $0, from: start) }
    }
}
