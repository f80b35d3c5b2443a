import Foundation

extension Process {
    /// `run()` with no signal blocked in the child. A child starts with the signal mask of the thread
    /// that launched it, and Dispatch's worker threads (where Swift's tasks run) block nearly every
    /// signal: launched from one, the local broker ignored SIGTERM for its whole life, so `hub up`
    /// waited out five seconds for a SIGKILL on every stop, and a broker a test run left behind
    /// outlived it. The launching thread's mask is cleared only for the launch.
    public func runWithSignalsUnblocked() throws {
        var none = sigset_t(), previous = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try run()
    }

    /// SIGTERM, then SIGKILL if it still runs after `grace` seconds; returns once it has exited, with the
    /// signal that ended it (0 when it exited by itself first). What every child the hub starts is stopped with.
    @discardableResult
    public func terminate(grace: Double) -> Int32 {
        if isRunning {
            terminate()
            let deadline = Date().addingTimeInterval(grace)
            while isRunning && Date() < deadline { usleep(10_000) }
            if isRunning { kill(processIdentifier, SIGKILL) }
        }
        waitUntilExit()
        return terminationReason == .uncaughtSignal ? terminationStatus : 0
    }
}
