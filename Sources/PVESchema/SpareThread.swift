#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization
import CCorePlacement

/// The process's second core, as one thread kept warm between jobs: big answers are indexed on
/// it while they arrive, and big tables formatted in pieces shared with it.
///
/// Why not Dispatch: on a virtual machine a thread woken on an idle vCPU starts 1-2.5 ms late
/// (the host must schedule the halted vCPU first), and the scheduler often runs it on the waking
/// thread's CPU instead, so the two halves of a 10,000-guest table shared one core. This thread
/// spins for a few milliseconds after each job before it sleeps (as OpenMP's workers do), so a
/// job handed over right after the last one starts at once on the other core; waiting for a job
/// spins the same way. Jobs run one at a time, in order. A job the thread has not started when
/// its submitter waits for it is run by the submitter instead, so nothing ever waits behind
/// another thread's long job (a background listing still arriving, say).
public final class SpareThread: Sendable {
    /// The one spare thread (started on first use). Like Dispatch's global queues, it stands for
    /// the machine's cores, which are one per process too.
    public static let shared = SpareThread()

    /// How long an idle thread, or a waiting one, spins before it sleeps.
    static let spinNanoseconds = 5_000_000

    private let queue = Mutex<[Job]>([])
    private let doorbell = Doorbell()
    private let started = Atomic<Bool>(false)
    /// The CPU this thread keeps to while it runs jobs (-1: any), set by `CorePlacement`.
    fileprivate let placedOn = Atomic<Int>(-1)

    /// Whether the machine has a second core to run jobs on (otherwise splitting work in two
    /// only adds the handing over).
    public static let isUseful = sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1

    /// Queues `work`; `wait()` on the result returns once it has run (on this thread, or on the
    /// waiting caller if it had not started).
    public func run(_ work: @escaping @Sendable () -> Void) -> Job {
        let job = Job(work, placement: CorePlacement(spare: self))
        queue.withLock { $0.append(job) }
        start()
        doorbell.ring()
        return job
    }

    /// Starts the thread, unless it runs already; it sleeps until the first job. Call it ahead of
    /// a job that must start at once: a thread created while both cores are busy (a transfer
    /// under way) began its first job 0.15-2.7 ms after it was queued (`ls /vms`, 10,000 guests,
    /// this VM), one already asleep is woken in ~10-100 µs.
    public func start() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var thread = pthread_t()
        let box = Unmanaged.passRetained(self).toOpaque()
        if pthread_create(&thread, nil, { box in Unmanaged<SpareThread>.fromOpaque(box!).takeRetainedValue().serve() }, box) == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<SpareThread>.fromOpaque(box).release()  // jobs run on their waiters
        }
    }

    /// Has the thread stop spinning and sleep until the next job: call it when a command is done.
    /// A thread spinning on the second core makes the scheduler place whatever wakes next on
    /// this one: closing the connection after `ls /vms` woke the server, which then held the
    /// exiting shell's core for ~0.85 ms in about half the runs (`perf` scheduler trace).
    public func rest() { doorbell.hush() }

    /// Calls `body` with each of `0..<count`, on this thread and the spare thread together: each
    /// takes the next index not yet taken, so when the spare thread starts late or is held up
    /// (another process took its core), this one does more. Returns once every call has returned.
    /// Why not one half each: phase marks of a 10,000-guest listing caught the spare thread's
    /// half of the table starting 0.2-2 ms late, or taking 5.9 ms instead of 1.5 ms, while this
    /// thread, done with its own half, only waited.
    public func share(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        let taken = Counter()
        let takeAll: @Sendable () -> Void = {
            while true {
                let index = taken.next()
                guard index < count else { return }
                body(index)
            }
        }
        let helper = run(takeAll)
        takeAll()
        helper.wait()
    }

    /// Hands out 0, 1, 2, ... once each, to any thread.
    private final class Counter: Sendable {
        private let value = Atomic<Int>(0)
        func next() -> Int { value.add(1, ordering: .relaxed).oldValue }
    }

    private func serve() -> Never {
        // Until the first job, asleep at once: a thread started ahead of need must not spin on a
        // core the server answering the request may want.
        var rung = 0, spinning = 0, cpu = -1
        while true {
            rung = doorbell.wait(after: rung, spinning: spinning)
            spinning = SpareThread.spinNanoseconds
            while let job = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                let wanted = placedOn.load(ordering: .acquiring)
                if wanted >= 0, wanted != cpu, pmx_cpu_pin(0, Int32(wanted), nil) == 0 { cpu = wanted }
                job.runUnlessTaken()
            }
        }
    }

    /// One queued piece of work.
    public final class Job: Sendable {
        private enum State: Int { case queued, running, done }
        private let state = Atomic<Int>(State.queued.rawValue)
        /// Set to nil once run: the work (and what it captured) is let go before `wait` returns.
        private let work: Mutex<(@Sendable () -> Void)?>
        private let finished = Doorbell()
        /// The submitter's CPU, kept while the job is in flight (ended when it is waited for).
        private let placement: CorePlacement?

        init(_ work: @escaping @Sendable () -> Void, placement: CorePlacement? = nil) {
            self.work = Mutex(work)
            self.placement = placement
        }

        /// Runs the work unless its submitter has taken it back to run itself.
        fileprivate func runUnlessTaken() {
            guard state.compareExchange(expected: State.queued.rawValue, desired: State.running.rawValue,
                                        ordering: .acquiringAndReleasing).exchanged else { return }
            runAndRelease()
        }

        private func runAndRelease() {
            do {  // the work's last reference ends with this scope, before anyone is told it ran
                let work = self.work.withLock { work -> (@Sendable () -> Void)? in
                    defer { work = nil }
                    return work
                }
                work?()
            }
            state.store(State.done.rawValue, ordering: .releasing)
            finished.ring()
        }

        /// Returns once the work has run: on the spare thread, or here if it has not started yet.
        public func wait() {
            defer { placement?.end() }
            if state.compareExchange(expected: State.queued.rawValue, desired: State.running.rawValue,
                                     ordering: .acquiringAndReleasing).exchanged {
                runAndRelease()
                return
            }
            awaitDone()
        }

        /// Drops the work if it has not started; otherwise returns once it has run.
        public func cancel() {
            defer { placement?.end() }
            if state.compareExchange(expected: State.queued.rawValue, desired: State.done.rawValue,
                                     ordering: .acquiringAndReleasing).exchanged {
                work.withLock { $0 = nil }
                return
            }
            awaitDone()
        }

        private func awaitDone() {
            var rung = 0
            while state.load(ordering: .acquiring) != State.done.rawValue { rung = finished.wait(after: rung) }
        }
    }
}

/// Keeps the thread that hands out a job on the CPU it is on, and the spare thread on another, until
/// the job has been waited for. Left to itself the scheduler often put both on one CPU while the
/// other idled: a wake-up brings the woken thread to the waker's CPU, and nothing moved it away
/// within the few milliseconds a listing takes. A scheduler trace of 20 listings of 10,000 guests
/// (perf, `sched_switch`) found the receiving and the indexing thread sharing one CPU in every
/// run, taking turns for up to 20 ms of transfer with the other CPU idle; kept apart, 18 of 20
/// transfers took 3.5-4.8 ms. Nothing is done when the caller keeps to one CPU already (an
/// enclosing placement, `taskset`) or there is no other CPU.
final class CorePlacement: Sendable {
    private let thread: Int32
    private let saved: pmx_cpu_mask
    private let ended = Atomic<Bool>(false)

    init?(spare: SpareThread) {
        guard pmx_cpu_is_free() != 0 else { return nil }
        let here = pmx_cpu_now(), other = pmx_cpu_other_than(here)
        var saved = pmx_cpu_mask()
        guard here >= 0, other >= 0, pmx_cpu_pin(0, here, &saved) == 0 else { return nil }
        thread = pmx_thread_id()
        self.saved = saved
        spare.placedOn.store(Int(other), ordering: .releasing)
    }

    /// Gives the caller back the CPUs it had (from any thread; once).
    func end() {
        guard !ended.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var saved = self.saved
        _ = pmx_cpu_restore(thread, &saved)
    }

    deinit { end() }
}

/// A wake-up between threads: `ring` counts, `wait` spins on the count for
/// `spinning` nanoseconds (`SpareThread.spinNanoseconds` unless told), yielding the core to
/// whoever else wants it as it spins, then sleeps on a semaphore until the next ring; `hush`
/// cuts the spin short. For one waiter.
final class Doorbell: Sendable {
    private let rings = Atomic<Int>(0)
    private let sleeping = Atomic<Bool>(false)
    /// Set by `hush`, cleared by the waiter that heeds it or by the next ring (a new job makes
    /// an earlier "nothing more is coming" stale).
    private let hushed = Atomic<Bool>(false)
    private let semaphore = DispatchSemaphore(value: 0)

    func ring() {
        hushed.store(false, ordering: .relaxed)
        rings.add(1, ordering: .sequentiallyConsistent)
        // Paired with the waiter's store-then-load: one of the two sees the other's write.
        if sleeping.exchange(false, ordering: .sequentiallyConsistent) { semaphore.signal() }
    }

    /// Has the waiter, spinning now or next, go to sleep at once.
    func hush() { hushed.store(true, ordering: .relaxed) }

    /// Whether the waiter is asleep on the semaphore (tests).
    var isAsleep: Bool { sleeping.load(ordering: .relaxed) }

    /// Waits until the count passes `seen`; returns the count.
    func wait(after seen: Int, spinning: Int = SpareThread.spinNanoseconds) -> Int {
        let deadline = Doorbell.now() + spinning
        var spins = 0
        while true {
            let count = rings.load(ordering: .acquiring)
            if count != seen { return count }
            spins += 1
            if spins & 255 == 0 {
                if hushed.load(ordering: .relaxed) || Doorbell.now() > deadline { break }
                // Gives the core to any thread waiting for it (the server sending the answer, say)
                // and returns at once when there is none: as quick to answer, without holding up a
                // busy neighbour.
                sched_yield()
            }
        }
        hushed.store(false, ordering: .relaxed)
        while true {
            sleeping.store(true, ordering: .sequentiallyConsistent)
            let count = rings.load(ordering: .sequentiallyConsistent)
            if count != seen {
                sleeping.store(false, ordering: .relaxed)
                return count
            }
            // A signal left over from a ring that came while this thread was not yet asleep
            // returns at once; the loop checks again.
            semaphore.wait()
        }
    }

    private static func now() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time.tv_sec * 1_000_000_000 + time.tv_nsec
    }
}
