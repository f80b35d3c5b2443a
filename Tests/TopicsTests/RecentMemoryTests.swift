import Foundation
import Testing
import Topics

@Suite("Recent memory: two generations")
struct RecentMemoryTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func at(_ seconds: TimeInterval) -> Date { start.addingTimeInterval(seconds) }

    @Test("an entry is remembered for the memory at least and twice it at most; setting it again remembers it afresh")
    func generations() {
        var memory = RecentMemory<String, Int>(memory: 100, now: start)
        let first = memory.insert("a", 1), again = memory.insert("a", 2)
        #expect(first && !again, "remembered already")
        #expect(memory["a"] == 1)
        let early = memory.forget(now: at(99)), rotated = memory.forget(now: at(100))
        #expect(early == 0, "the generation is not a memory old yet")
        #expect(rotated == 0, "rotated: nothing older to drop")
        #expect(memory["a"] == 1, "in the older generation now")
        _ = memory.insert("b", 1)
        memory.set("c", 1)
        memory.set("a", 3)  // moves to the current generation
        #expect(memory.count == 3)
        let midway = memory.forget(now: at(150)), second = memory.forget(now: at(200))
        #expect(midway == 0, "only 50 s into the generation")
        #expect(second == 0, "the older generation held only what moved")
        #expect(memory["a"] == 3 && memory["b"] == 1 && memory["c"] == 1)
        let third = memory.forget(now: at(300))
        #expect(third == 3)
        #expect(memory["a"] == nil && memory.count == 0)
        let anew = memory.insert("a", 4)
        #expect(anew, "forgotten after twice the memory, so it is new again")
    }

    @Test("removing forgets an entry in either generation; a set of keys needs no values; an infinite memory never rotates")
    func removeAndKeys() {
        var seen = RecentMemory<String, Void>(memory: 10, now: start)
        _ = seen.insert("x")
        _ = seen.forget(now: at(10))
        _ = seen.insert("y")
        #expect(seen.contains("x") && seen.contains("y"))
        seen.remove("x")
        seen.remove("y")
        #expect(!seen.contains("x") && !seen.contains("y") && seen.count == 0)
        var forever = RecentMemory<Int, Void>()
        _ = forever.insert(1)
        let forgotten = forever.forget(now: .distantFuture)
        #expect(forgotten == 0 && forever.contains(1))
    }
}
