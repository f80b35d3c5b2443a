import ChannelWorker
import Synchronization
import Testing

@Suite("Gateway slots")
struct GatewaySlotsTests {
    final class Tally: Sendable {
        struct Counts { var inside = 0, most = 0, done = 0 }
        let counts = Mutex(Counts())
    }

    @Test("64 calls through 8 slots: never more than 8 at once, all of them run, the slots fill up")
    func bounded() async {
        let slots = GatewaySlots(8)
        let tally = Tally()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0 ..< 64 {
                group.addTask {
                    await slots.withSlot {
                        tally.counts.withLock { $0.inside += 1; $0.most = max($0.most, $0.inside) }
                        try? await Task.sleep(for: .milliseconds(5))
                        tally.counts.withLock { $0.inside -= 1; $0.done += 1 }
                    }
                }
            }
        }
        let counts = tally.counts.withLock { $0 }
        #expect(counts.done == 64 && counts.most == 8 && counts.inside == 0)
        #expect(slots.busiest == 8)
    }

    @Test("a call that throws gives its slot back")
    func throwing() async {
        struct Refused: Error {}
        let slots = GatewaySlots(1)
        for _ in 0 ..< 3 {
            await #expect(throws: Refused.self) { try await slots.withSlot { throw Refused() } }
        }
        #expect(await slots.withSlot { 42 } == 42)
    }
}
