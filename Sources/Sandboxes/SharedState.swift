import Locking

/// An emulator's records, shared by the emulator and its request handlers.
final class SharedState<State: Sendable>: Sendable {
    private let mutex: PosixMutex<State>
    init(_ state: State) { mutex = PosixMutex(state) }
    func withLock<T>(_ body: (inout State) -> T) -> T { mutex.withLock { body(&$0) } }
}
