import ChannelDelivery
import Foundation
import Testing

@Suite("Rate limit and circuit breaker")
struct GatewayGuardTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("the bucket lets a burst through, then one send per 1/rate seconds")
    func bucket() {
        var bucket = TokenBucket(ratePerSecond: 10, burst: 3)
        var waits: [Double] = []
        for _ in 0 ..< 5 { waits.append(bucket.take(at: t0)) }
        #expect(waits[0 ..< 3] == [0, 0, 0])
        #expect(abs(waits[3] - 0.1) < 1e-9 && abs(waits[4] - 0.2) < 1e-9)
        // After a quiet while the bucket is full again, never fuller.
        var rested = TokenBucket(ratePerSecond: 10, burst: 3)
        _ = rested.take(at: t0)
        var later: [Double] = []
        for _ in 0 ..< 4 { later.append(rested.take(at: t0.addingTimeInterval(10))) }
        #expect(later[0 ..< 3] == [0, 0, 0] && later[3] > 0)
    }

    @Test("over N sends the bucket never lets more through than rate x time + burst")
    func bucketHoldsTheRate() {
        var bucket = TokenBucket(ratePerSecond: 50, burst: 5)
        var clock = t0
        for _ in 0 ..< 1_000 { clock = clock.addingTimeInterval(bucket.take(at: clock)) }
        let seconds = clock.timeIntervalSince(t0)
        #expect(1_000 <= 50 * seconds + 5 + 1e-3)  // Date keeps about 0.2 µs at this epoch
        #expect(seconds >= 19.8)
    }

    @Test("the circuit opens after repeated failures, lets one trial through later, and closes on success")
    func breaker() {
        var breaker = CircuitBreaker(failureThreshold: 3, openFor: 30)
        for _ in 0 ..< 2 { breaker.record(success: false, at: t0) }
        var allowed = breaker.allows(at: t0)
        #expect(allowed && breaker.state == .closed)
        breaker.record(success: false, at: t0)
        allowed = breaker.allows(at: t0.addingTimeInterval(29))
        #expect(breaker.state == .open && !allowed)
        allowed = breaker.allows(at: t0.addingTimeInterval(30))
        #expect(allowed && breaker.state == .halfOpen)
        allowed = breaker.allows(at: t0.addingTimeInterval(30))
        #expect(!allowed, "one trial at a time")
        breaker.record(success: false, at: t0.addingTimeInterval(31))
        allowed = breaker.allows(at: t0.addingTimeInterval(60))
        #expect(breaker.state == .open && !allowed)
        allowed = breaker.allows(at: t0.addingTimeInterval(61))
        #expect(allowed)
        breaker.record(success: true, at: t0.addingTimeInterval(62))
        allowed = breaker.allows(at: t0.addingTimeInterval(62))
        #expect(breaker.state == .closed && allowed)
    }
}
