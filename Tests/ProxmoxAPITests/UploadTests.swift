import Foundation
import Testing
@testable import ProxmoxAPI
@testable import PVESim

/// Resident memory of this process in KiB, from /proc/self/status.
func residentKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return 0
}

@Suite("Streamed upload", .serialized)
struct UploadTests {
    /// A sparse file of `size` bytes (no disk space used; reads return zeros).
    func sparseFile(_ dir: TempDir, _ name: String, size: Int64) -> String {
        let path = dir.write(name, "")
        truncate(path, off_t(size))
        return path
    }

    /// Memory is measured in-process: VmRSS is sampled in the progress callback while libcurl streams
    /// the file. The simulator runs in the same process and streams too, so the growth bounds the
    /// client's own growth from above.
    @Test func hundredMegabytesWithFlatMemory() throws {
        let harness = try SimHarness()
        let size: Int64 = 100 << 20
        let file = sparseFile(harness.dir, "big.iso", size: size)
        let client = PVEClient(settings: harness.passwordSettings())
        _ = try client.get("/version")
        let baseline = residentKiB()
        var peak = baseline
        var reports = 0
        var last = TransferProgress(sent: 0, total: 0)
        let upid = try client.upload(node: "pve1", storage: "local", content: "iso", filePath: file) { progress in
            reports += 1
            last = progress
            if reports % 50 == 0 { peak = max(peak, residentKiB()) }
            return true
        }
        peak = max(peak, residentKiB())
        #expect(upid.type == "imgcopy" && upid.id == String(size), "the server received every byte")
        // Progress counts the whole multipart body: the file plus the part headers.
        #expect(last.sent == last.total && last.sent >= size && last.sent < size + 4096 && reports > 10)
        let upload = try #require(harness.cluster.requests.last?.upload)
        #expect(upload.filename == "big.iso" && harness.cluster.requests.last?.params["content"] == "iso")
        // 100 MB passed through. Holding the file (client or simulator) would add at least 100 MiB;
        // the bound leaves room for the other suites running in this process at the same time
        // (a clean-clone CI run measured 25 MiB of such noise).
        #expect(peak - baseline < 48 * 1024, "RSS grew by \(peak - baseline) KiB")
    }

    @Test func cancelFromTheProgressCallback() throws {
        let harness = try SimHarness()
        let file = sparseFile(harness.dir, "big.iso", size: 50 << 20)
        let client = PVEClient(settings: harness.tokenSettings())
        #expect {
            _ = try client.upload(node: "pve1", storage: "local", content: "iso", filePath: file) { $0.sent < 5 << 20 }
        } throws: { error in (error as? APIError)?.kind == .cancelled }
        #expect(!harness.cluster.requests.contains { $0.upload != nil })
        // The client stays usable after a cancelled transfer.
        #expect(try client.get("/version")["version"] != nil)
    }

    @Test func missingFileIsAClearError() throws {
        let harness = try SimHarness()
        #expect {
            _ = try PVEClient(settings: harness.tokenSettings()).upload(node: "pve1", storage: "local", content: "iso",
                                                                         filePath: "/nonexistent/x.iso")
        } throws: { error in (error as? APIError)?.message.contains("/nonexistent/x.iso") == true }
        #expect(harness.cluster.requests.isEmpty)
    }
}
