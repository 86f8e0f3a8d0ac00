import Testing
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization
import CCorePlacement
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

    /// Whether this thread may run on two CPUs or more, and may be kept to one (a sandbox may
    /// refuse `sched_setaffinity`): else there is nothing to keep apart.
    static let canKeepThreadsApart: Bool = {
        guard pmx_cpu_is_free() != 0 else { return false }
        var saved = pmx_cpu_mask()
        guard pmx_cpu_pin(0, pmx_cpu_now(), &saved) == 0 else { return false }
        return pmx_cpu_restore(0, &saved) == 0
    }()

    /// While a job is in flight its submitter keeps to the CPU it was on and the spare thread
    /// runs on another; waiting for the job gives the submitter its CPUs back.
    @Test(.enabled(if: canKeepThreadsApart)) func aJobInFlightKeepsItsSubmitterAndTheSpareThreadApart() {
        let spareCPU = Atomic<Int>(-1)
        let job = SpareThread.shared.run { spareCPU.store(Int(pmx_cpu_now()), ordering: .releasing) }
        #expect(pmx_cpu_is_free() == 0, "the submitter keeps to one CPU while the job is in flight")
        let here = Int(pmx_cpu_now())
        var waited = 0
        while spareCPU.load(ordering: .acquiring) < 0, waited < 1000 {
            usleep(1_000)
            waited += 1
        }
        #expect(spareCPU.load(ordering: .acquiring) >= 0)
        #expect(spareCPU.load(ordering: .acquiring) != here, "the spare thread ran on another CPU")
        job.wait()
        #expect(pmx_cpu_is_free() != 0, "waiting gave the submitter its CPUs back")
    }

    /// A job handed out while the submitter already keeps to one CPU (another job in flight)
    /// leaves that alone: the CPUs come back with the outer job, not the inner one.
    @Test(.enabled(if: canKeepThreadsApart)) func anInnerJobLeavesTheOuterPlacementAlone() {
        let outer = SpareThread.shared.run {}
        let inner = SpareThread.shared.run {}
        inner.wait()
        #expect(pmx_cpu_is_free() == 0, "still kept by the outer job")
        outer.wait()
        #expect(pmx_cpu_is_free() != 0)
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

    /// `share` calls the body once for every index, from both threads, and returns only once
    /// every call has returned.
    @Test func sharedWorkRunsEachIndexOnceBeforeReturning() {
        /// How often each index was called.
        final class Tally: Sendable {
            let counts: Mutex<[Int]>
            init(_ count: Int) { counts = Mutex(Array(repeating: 0, count: count)) }
        }
        for count in [0, 1, 2, 7, 64] {
            let tally = Tally(count)
            SpareThread.shared.share(count) { index in
                usleep(200)
                tally.counts.withLock { $0[index] += 1 }
            }
            #expect(tally.counts.withLock { $0 } == Array(repeating: 1, count: count), "\(count) pieces")
        }
    }

    /// While the spare thread is held up, the caller does every piece itself instead of waiting.
    @Test func sharedWorkIsDoneByTheCallerWhileTheSpareThreadIsBusy() {
        let (blocker, release) = occupySpareThread()
        let ran = Ran()
        let others = Atomic<Int>(0)
        let caller = pthread_self()
        SpareThread.shared.share(8) { _ in
            ran.mark()
            if pthread_equal(pthread_self(), caller) == 0 { others.add(1, ordering: .relaxed) }
        }
        #expect(ran.count.load(ordering: .relaxed) == 8)
        #expect(others.load(ordering: .relaxed) == 0)
        release.signal()
        blocker.wait()
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

    /// A hushed waiter stops spinning and sleeps until the next ring: over 300 ms of waiting with a
    /// 10 s spin, it spends a fraction of that on its core. Without `hush` it would spin (and
    /// yield) the whole time; the thread's own CPU clock tells the two apart.
    @Test func aHushedWaiterSleepsInsteadOfSpinning() {
        let bell = Doorbell()
        let cpuMilliseconds = Atomic<Int>(-1)
        let waiter = Thread {
            var before = timespec(), after = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &before)
            _ = bell.wait(after: 0, spinning: 10_000_000_000)
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &after)
            cpuMilliseconds.store((after.tv_sec - before.tv_sec) * 1000 + (after.tv_nsec - before.tv_nsec) / 1_000_000,
                                  ordering: .releasing)
        }
        usleep(20_000)
        bell.hush()
        usleep(300_000)
        #expect(bell.isAsleep)
        bell.ring()
        waiter.join()
        let spent = cpuMilliseconds.load(ordering: .acquiring)
        #expect(spent >= 0 && spent < 150, "the waiter spent \(spent) ms of CPU in 320 ms of waiting")
    }

    /// A hush with nobody waiting is forgotten at the next ring: the next waiter spins as usual.
    @Test func aRingClearsAnEarlierHush() {
        let bell = Doorbell()
        bell.hush()
        bell.ring()
        let waiter = Thread { _ = bell.wait(after: 1, spinning: 10_000_000_000) }
        usleep(50_000)
        #expect(!bell.isAsleep, "a stale hush put the waiter to sleep at once")
        bell.ring()
        waiter.join()
    }

    /// A plain pthread, for tests that read one thread's own clock or state.
    final class Thread: @unchecked Sendable {
        private var handle = pthread_t()
        private let body: () -> Void

        init(_ body: @escaping () -> Void) {
            self.body = body
            let box = Unmanaged.passRetained(self).toOpaque()
            pthread_create(&handle, nil, { box in
                Unmanaged<Thread>.fromOpaque(box!).takeRetainedValue().body()
                return nil
            }, box)
        }

        func join() { pthread_join(handle, nil) }
    }
}
