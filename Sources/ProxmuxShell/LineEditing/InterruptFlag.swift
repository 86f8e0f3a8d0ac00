import CEditLineShim
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C as a value command code can poll. The line reader clears the line when it is raised
/// while reading; a running command (a task wait, `sleep`) checks `isRaised` and stops waiting.
///
/// Why a C-level flag: a signal handler can only touch async-signal-safe memory and cannot reach
/// a Swift object. This instance owns the storage (an atomic int allocated by the C shim); while
/// `routeSIGINT()` is active the shim keeps one pointer to it and the handler stores 1 there.
/// That pointer is the only process-wide signal state. The handler is installed without
/// `SA_RESTART`, so a blocking `read` returns `EINTR` and the reader notices at once.
public final class InterruptFlag: @unchecked Sendable {
    // @unchecked: `storage` is an atomic int, safe from any thread; `routing` is only touched by
    // the thread that runs the shell loop (the one that installs the handler).
    private let storage: OpaquePointer?

    public init() {
        storage = cedit_flag_create()
    }

    deinit {
        if routing { cedit_route_sigint(nil) }
        cedit_flag_destroy(storage)
    }

    private var routing = false

    /// True after Ctrl-C until `clear()`.
    public var isRaised: Bool { storage.map { cedit_flag_load($0) != 0 } ?? false }

    public func raise() { storage.map { cedit_flag_store($0, 1) } }
    public func clear() { storage.map { cedit_flag_store($0, 0) } }

    /// Returns whether the flag was raised and clears it.
    @discardableResult
    public func consume() -> Bool { storage.map { cedit_flag_exchange($0, 0) != 0 } ?? false }

    /// Makes SIGINT (Ctrl-C) raise this flag instead of killing the process.
    public func routeSIGINT() {
        guard let storage, !routing else { return }
        routing = cedit_route_sigint(storage) == 0
    }

    /// Restores the default SIGINT action.
    public func stopRoutingSIGINT() {
        guard routing else { return }
        cedit_route_sigint(nil)
        routing = false
    }

    /// Sleeps up to `seconds`, waking early when the flag is raised. Returns false if interrupted
    /// (the flag stays raised so callers further up see it too).
    public func pause(seconds: Double) -> Bool {
        var remaining = max(0, seconds)
        let slice = 0.02
        while remaining > 0 {
            if isRaised { return false }
            let step = min(slice, remaining)
            var request = timespec(tv_sec: Int(step), tv_nsec: Int((step - Double(Int(step))) * 1_000_000_000))
            var rest = timespec()
            _ = nanosleep(&request, &rest)
            remaining -= step
        }
        return !isRaised
    }
}
