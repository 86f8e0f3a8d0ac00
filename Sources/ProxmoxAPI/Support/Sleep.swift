#if canImport(Glibc)
import Glibc
#endif

/// Blocks the calling thread for `duration` (resuming after signals). The client is synchronous by
/// design: the shell runs one command at a time and bulk work uses sibling clients on threads.
func blockingSleep(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}
