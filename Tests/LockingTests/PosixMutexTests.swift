import Foundation
import Locking
import Testing

@Suite("PosixMutex")
struct PosixMutexTests {
    @Test("threads contending for the lock lose no update")
    func contended() {
        let counter = PosixMutex((total: 0, perThread: [Int](repeating: 0, count: 8)))
        let rounds = 50_000
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for _ in 0 ..< rounds {
                counter.withLock { state in
                    state.total += 1
                    state.perThread[thread] += 1
                }
            }
        }
        let (total, perThread) = counter.withLock { ($0.total, $0.perThread) }
        #expect(total == 8 * rounds)
        #expect(perThread == [Int](repeating: rounds, count: 8))
    }

    struct Refused: Error, Equatable {}

    @Test("a body that throws leaves the lock free and the state as it left it")
    func throwing() {
        let value = PosixMutex([1, 2])
        #expect(throws: Refused.self) {
            try value.withLock { numbers throws(Refused) in
                numbers.append(3)
                throw Refused()
            }
        }
        // Taken again from another thread, so a lock left held would hang here rather than fail quietly.
        let seen = DispatchQueue.global().sync { value.withLock { $0 } }
        #expect(seen == [1, 2, 3])
    }

    @Test("the body's result is returned")
    func result() {
        let words = PosixMutex(["a": 1])
        let doubled = words.withLock { state -> Int in
            state["b"] = 2
            return state.values.reduce(0, +) * 2
        }
        #expect(doubled == 6)
    }
}
