/// Remembers the last `window` ids and says whether an id was seen. Kafka
/// consumers get a record twice after a crash before commit, and on brokers
/// that show aborted transactions to `read_committed` readers (Tansu);
/// skipping by event id makes both harmless.
public struct RecordDeduplicator: Sendable {
    public let window: Int
    private var seen: Set<String> = []
    private var order: [String?]
    private var next = 0

    public init(window: Int) {
        precondition(window > 0, "a de-duplication window needs room for at least one id")
        self.window = window
        self.order = Array(repeating: nil, count: window)
    }

    /// Records `id` and returns true when it is new within the window.
    public mutating func admit(_ id: String) -> Bool {
        if seen.contains(id) { return false }
        if let evicted = order[next] { seen.remove(evicted) }
        order[next] = id
        seen.insert(id)
        next = (next + 1) % window
        return true
    }

    public var count: Int { seen.count }
}
