import Testing
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization
@testable import PVESchema

/// The spare thread runs handed-over work on another core; whoever waits for a job that has not
/// started runs it, so nothing waits behind another caller's long job.
@Suite(.serialized) struct SpareThreadTests {
    final class Marker: Sendable {}

    /// `pthread_self` of the thread that ran a job.
    final class Ran: Sendable {
        let thread = Mutex<pthread_t?>(nil)
        let count = Atomic<Int>(0)
        func mark() {
            thread.withLock { $0 = pthread_self() }
            count.add(1, ordering: .relaxed)
        }
    }

    /// Left alone, a job is run by the spare thread; `wait` then returns at once.
    @Test func aJobRunsOnTheSpareThread() {
        let ran = Ran()
        let job = SpareThread.shared.run { ran.mark() }
        var waited = 0
        while ran.count.load(ordering: .relaxed) == 0, waited < 1000 {
            usleep(10_000)
            waited += 1
        }
        #expect(ran.count.load(ordering: .relaxed) == 1)
        #expect(ran.thread.withLock { $0 } != pthread_self())
        job.wait()
        #expect(ran.count.load(ordering: .relaxed) == 1)
    }

    /// Puts the spare thread inside a job that lasts until the returned semaphore is signalled.
    func occupySpareThread() -> (SpareThread.Job, DispatchSemaphore) {
        let started = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let blocker = SpareThread.shared.run {
            started.signal()
            release.wait()
        }
        _ = started.wait(timeout: .now() + 10)
        return (blocker, release)
    }

    @Test func aJobStuckBehindAnotherIsRunByItsWaiter() {
        let (blocker, release) = occupySpareThread()
        let ran = Ran()
        let queued = SpareThread.shared.run { ran.mark() }
        queued.wait()
        #expect(ran.count.load(ordering: .relaxed) == 1)
        #expect(ran.thread.withLock { $0 } == pthread_self())
        release.signal()
        blocker.wait()
        usleep(20_000)
        #expect(ran.count.load(ordering: .relaxed) == 1, "the spare thread skips a job its waiter took")
    }

    @Test func aCancelledJobThatHadNotStartedNeverRuns() {
        let (blocker, release) = occupySpareThread()
        let ran = Ran()
        let queued = SpareThread.shared.run { ran.mark() }
        queued.cancel()
        release.signal()
        blocker.wait()
        usleep(20_000)
        #expect(ran.count.load(ordering: .relaxed) == 0)
    }

    /// What the work captured is let go before `wait` returns (a caller may pass a closure that
    /// must not outlive the call, as `withoutActuallyEscaping` checks).
    @Test func theWorkIsReleasedBeforeWaitReturns() {
        for _ in 0..<200 {
            weak var captured: Marker?
            let job: SpareThread.Job
            do {
                let marker = Marker()
                captured = marker
                job = SpareThread.shared.run { withExtendedLifetime(marker) {} }
            }
            job.wait()
            #expect(captured == nil)
        }
    }

    @Test func manyJobsFromSeveralThreadsAllRunOnce() {
        let ran = Ran()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let jobs = (0..<250).map { _ in SpareThread.shared.run { ran.mark() } }
            for job in jobs { job.wait() }
        }
        #expect(ran.count.load(ordering: .relaxed) == 1000)
    }
}

