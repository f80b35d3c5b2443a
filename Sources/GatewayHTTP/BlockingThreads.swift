import Foundation
import Locking

/// Threads of their own for blocking calls (libcurl transfers), so the
/// cooperative pool never blocks: at most `count` calls run at once, the
/// rest wait their turn in arrival order. A thread that finishes a call takes
/// the next waiting one at once, without a hop through the cooperative pool,
/// which is what keeps a gateway busy. Each thread holds a `Resource` for its
/// life (a curl handle, whose connection is then reused); threads idle for
/// `idleSeconds` end and are started again when needed.
public final class BlockingThreads<Resource>: Sendable {
    public typealias Make = @Sendable () -> Resource
    public typealias Release = @Sendable (Resource) -> Void

    private struct Job: Sendable {
        let run: @Sendable (Resource) -> Void
    }

    private struct State {
        var jobs: [Job] = []
        var head = 0
        var threads = 0
        var idle = 0
    }

    public let count: Int
    private let idleSeconds: Double
    private let name: String
    private let make: Make
    private let release: Release
    private let state = PosixMutex(State())
    private let signal = DispatchSemaphore(value: 0)

    public init(count: Int, name: String, idleSeconds: Double = 30, make: @escaping Make, release: @escaping Release = { _ in }) {
        self.count = max(1, count)
        self.name = name
        self.idleSeconds = idleSeconds
        self.make = make
        self.release = release
    }

    /// Runs `work` on one of the threads with that thread's resource, waiting for a free one.
    public func run<T: Sendable>(_ work: @escaping @Sendable (Resource) -> T) async -> T {
        await withCheckedContinuation { continuation in
            let job = Job { resource in continuation.resume(returning: work(resource)) }
            let startThread = state.withLock { state -> Bool in
                state.jobs.append(job)
                if state.idle > 0 || state.threads >= count { return false }
                state.threads += 1
                return true
            }
            if startThread {
                let name = self.name
                let thread = Thread { [self] in
                    Thread.current.name = name  // from inside: on Linux a name set before start() never reaches the OS thread
                    serve()
                }
                thread.start()
            }
            signal.signal()
        }
    }

    private func serve() {
        let resource = make()
        defer { release(resource) }
        while true {
            state.withLock { $0.idle += 1 }
            let woken = signal.wait(timeout: .now() + idleSeconds) == .success
            let job = state.withLock { state -> Job? in
                state.idle -= 1
                guard state.head < state.jobs.count else {
                    if !woken { state.threads -= 1 }
                    return nil
                }
                let job = state.jobs[state.head]
                state.head += 1
                if state.head > 1024 && state.head * 2 > state.jobs.count {
                    state.jobs.removeFirst(state.head)
                    state.head = 0
                }
                return job
            }
            guard let job else {
                if woken { continue }
                return
            }
            job.run(resource)
        }
    }
}
