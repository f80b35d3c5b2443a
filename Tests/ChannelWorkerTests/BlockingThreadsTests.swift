import Foundation
import GatewayHTTP
import Synchronization
import Testing

/// The threads a connector's blocking calls run on: they bound the calls
/// with a gateway at once (`channel.inflight`), whatever the number of
/// notices the worker has prepared.
@Suite("Blocking threads")
struct BlockingThreadsTests {
    final class Tally: Sendable {
        struct Counts { var inside = 0, most = 0, done = 0, made = 0, released = 0, order: [Int] = [] }
        let counts = Mutex(Counts())
    }

    @Test("64 calls on 4 threads: never more than 4 at once, every one runs and answers, one resource per thread")
    func bounded() async {
        let tally = Tally()
        let threads = BlockingThreads<Int>(count: 4, name: "test", make: { tally.counts.withLock { $0.made += 1; return $0.made } },
                                           release: { _ in tally.counts.withLock { $0.released += 1 } })
        let answers = await withTaskGroup(of: Int.self) { group in
            for index in 0 ..< 64 {
                group.addTask {
                    await threads.run { _ in
                        tally.counts.withLock { $0.inside += 1; $0.most = max($0.most, $0.inside) }
                        usleep(2_000)  // a blocking call
                        tally.counts.withLock { $0.inside -= 1; $0.done += 1 }
                        return index * 2
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let counts = tally.counts.withLock { $0 }
        #expect(counts.done == 64 && counts.most <= 4 && counts.inside == 0)
        #expect(Set(answers) == Set((0 ..< 64).map { $0 * 2 }))
        #expect(counts.made <= 4, "a thread keeps its resource (a curl handle) for its life")
    }

    @Test("4 threads run 4 calls at once: each waits until all 4 are inside")
    func allThreadsUsed() async {
        let tally = Tally()
        let threads = BlockingThreads<Void>(count: 4, name: "test", make: {})
        await withTaskGroup(of: Void.self) { group in
            for _ in 0 ..< 4 {
                group.addTask {
                    await threads.run { _ in
                        tally.counts.withLock { $0.inside += 1; $0.most = max($0.most, $0.inside) }
                        let deadline = Date().addingTimeInterval(10)
                        while tally.counts.withLock({ $0.most }) < 4, Date() < deadline { usleep(1_000) }
                    }
                }
            }
        }
        #expect(tally.counts.withLock { $0.most } == 4)
    }

    @Test("one thread runs the calls in the order they came")
    func ordered() async {
        let tally = Tally()
        let threads = BlockingThreads<Void>(count: 1, name: "test", make: {})
        // Calls made one after another while the thread is busy queue up in order.
        let blocker = Task { await threads.run { _ in _ = usleep(500_000) } }
        try? await Task.sleep(for: .milliseconds(20))
        var queued: [Task<Void, Never>] = []
        for index in 0 ..< 10 {
            queued.append(Task { await threads.run { _ in tally.counts.withLock { $0.order.append(index) } } })
            try? await Task.sleep(for: .milliseconds(20))  // each is queued before the next is made
        }
        await blocker.value
        for task in queued { await task.value }
        #expect(tally.counts.withLock { $0.order } == Array(0 ..< 10))
    }

    @Test("idle threads end and give their resources back; a later call starts one again")
    func idleThreadsEnd() async throws {
        let tally = Tally()
        let threads = BlockingThreads<Int>(count: 2, name: "test", idleSeconds: 0.2, make: { tally.counts.withLock { $0.made += 1; return $0.made } },
                                           release: { _ in tally.counts.withLock { $0.released += 1 } })
        _ = await (threads.run { $0 }, threads.run { $0 })
        try await Task.sleep(for: .seconds(1))
        let afterIdle = tally.counts.withLock { $0 }
        #expect(afterIdle.made >= 1 && afterIdle.released == afterIdle.made)
        #expect(await threads.run { _ in 7 } == 7)
        #expect(tally.counts.withLock { $0.made } == afterIdle.made + 1)
    }
}
