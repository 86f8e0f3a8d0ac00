import CZlibShim
#if canImport(Glibc)
import Glibc
#endif

/// pveproxy's answer compression: bodies over 1 KiB are gzipped when the client accepts it.
enum Gzip {
    static let minimumLength = 1024

    /// The gzipped body, or nil when it is too short to be compressed (or zlib fails).
    static func compressed(_ body: [UInt8]) -> [UInt8]? {
        guard body.count > minimumLength else { return nil }
        var length = 0
        guard let output = body.withUnsafeBufferPointer({ pmx_gzip($0.baseAddress, $0.count, &length) }) else { return nil }
        defer { free(output) }
        return Array(UnsafeBufferPointer(start: output, count: length))
    }
}
