import Foundation
import Testing
import Topics

@Suite("Pooled random bytes for ids")
struct RandomPoolTests {
    @Test("requests of any size, across block boundaries, get fresh bytes")
    func freshBytes() {
        let pool = RandomPool.shared
        #expect(pool.bytes(0).isEmpty)
        // Larger than one 4 KiB block: spans at least one refill.
        let large = pool.bytes(10_000)
        #expect(large.count == 10_000)
        // Sixteen-byte draws never repeat (2^-128 per pair if the source is sound).
        var seen = Set<[UInt8]>()
        for _ in 0 ..< 2_000 { seen.insert(pool.bytes(16)) }
        #expect(seen.count == 2_000)
        // Roughly uniform: every byte value appears in 10,000 bytes (each misses with p ~ 1e-17).
        #expect(Set(large).count == 256)
    }

    @Test("UUIDs are version 4, RFC 4122 variant, and distinct")
    func uuids() {
        let ids = (0 ..< 1_000).map { _ in UUID.random() }
        #expect(Set(ids).count == 1_000)
        for id in ids {
            let text = id.lowercasedString
            #expect(Array(text)[14] == "4")
            #expect("89ab".contains(Array(text)[19]))
        }
    }
}
