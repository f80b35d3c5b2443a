#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value guarded by a plain POSIX mutex: the lock the hub's threads share.
///
/// Why not the standard library's `Mutex`: on Linux it spins up to a thousand
/// times and then blocks on a priority-inheritance futex, which hands the lock
/// to the next waiter in the kernel. With more runnable threads than cores
/// (eight connection threads, the cooperative pool, the broker on two cores)
/// a preempted holder makes every other thread spin out its turn, and the
/// hand-over forms convoys: `Mutex._lockSlow` was 18% of all CPU samples of a
/// connector sending straight at the push gateway, and 5% of the worker's.
/// A glibc mutex neither spins nor hands over: a waiter sleeps at once, and
/// whichever thread runs first takes the lock. This one checks errors, so a
/// thread that locks it again stops the process, as `Mutex` did, instead of
/// hanging.
///
/// The body runs with the lock held, so it must be short, must not block and
/// must not take the same lock again.
public final class PosixMutex<State>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var state: State

    public init(_ state: State) {
        self.state = state
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ERRORCHECK))
        let made = pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
        precondition(made == 0, "pthread_mutex_init failed (\(made))")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` on the state with the lock held.
    public func withLock<Result, Failure: Error>(_ body: (inout State) throws(Failure) -> Result) throws(Failure) -> Result {
        let locked = pthread_mutex_lock(mutex)
        precondition(locked == 0, locked == EDEADLK ? "PosixMutex locked again by the thread holding it" : "pthread_mutex_lock failed (\(locked))")
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state)
    }
}
