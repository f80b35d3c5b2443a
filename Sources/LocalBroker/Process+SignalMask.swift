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
}
