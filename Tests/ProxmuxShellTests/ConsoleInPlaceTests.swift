import Dispatch
import Foundation
import Testing
@testable import ProxmuxShell

/// The line drawn in place (a progress bar) and the text printed while it shows.
@Suite struct ConsoleInPlaceTests {
    static let erase = "\r\u{1B}[2K"

    @Test func outputErasesTheLineDrawnInPlaceFirst() {
        let console = Console.capturing()
        console.showInPlace("copy 50%", on: .out)
        console.line("a log line")
        console.showInPlace("copy 60%", on: .out)
        console.eraseInPlace()
        console.eraseInPlace()  // nothing left to erase
        console.line("done")
        let e = Self.erase
        #expect(console.capturedOutput.out == "\(e)copy 50%\(e)a log line\n\(e)copy 60%\(e)done\n")
    }

    /// Everything the console printed to one pipe standing for the terminal (stdout and stderr).
    private func terminalText(_ body: (Session) -> Void) throws -> String {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ShellError("no pipe") }
        let session = Session(settings: ShellSettings(), console: Console(outFD: fds[1], errFD: fds[1]), profileName: "test",
                              connect: { throw ShellError("offline") })
        body(session)
        session.console.flush()
        close(fds[1])
        let text = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true).readDataToEndOfFile()
        return String(decoding: text, as: UTF8.self)
    }

    /// A trace line from the session's thread comes after what the console still holds for stdout,
    /// and erases a progress bar first: written straight to stderr it overtook the one and landed
    /// in the middle of the other.
    @Test func traceLinesFromTheSessionsThreadGoThroughItsConsole() throws {
        let text = try terminalText { session in
            session.requestTrace.isOn = true
            session.console.line("row 1")
            session.requestTrace.record("GET /cluster/resources?type=vm -> 200 OK (3 ms, 3359 bytes)")
            session.console.showInPlace("start 100 | 0s", on: .out)
            session.requestTrace.record("GET /nodes/pve1/tasks/UPID/status -> 200 OK (1 ms, 120 bytes)")
            session.console.showInPlace("start 100 / 1s", on: .out)
            session.console.eraseInPlace()
        }
        let e = Self.erase
        #expect(text == "row 1\ndebug: GET /cluster/resources?type=vm -> 200 OK (3 ms, 3359 bytes)\n"
            + "\(e)start 100 | 0s\(e)debug: GET /nodes/pve1/tasks/UPID/status -> 200 OK (1 ms, 120 bytes)\n"
            + "\(e)start 100 / 1s\(e)")
    }

    /// Bulk workers trace from their own threads: their lines never touch the session's console.
    @Test func traceLinesFromOtherThreadsBypassTheConsole() throws {
        let text = try terminalText { session in
            session.requestTrace.isOn = true
            let trace = session.requestTrace
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                trace.record("GET /version -> 200 OK (1 ms, 80 bytes) [from a bulk worker, on the test's stderr]")
                done.signal()
            }
            done.wait()
            session.console.line("summary")
        }
        #expect(text == "summary\n")
    }
}
