import Synchronization

/// An emulator's records, shared by the emulator and its request handlers.
final class SharedState<State: Sendable>: Sendable {
    private let mutex: Mutex<State>
    init(_ state: State) { mutex = Mutex(state) }
    func withLock<T>(_ body: (inout State) -> T) -> T { mutex.withLock { body(&$0) } }
}
