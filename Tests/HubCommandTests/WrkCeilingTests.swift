import Testing

@testable import hub

@Suite("wrk's report, as the channel bench reads it")
struct WrkCeilingTests {
    /// wrk 4.1's report of a clean run, as it printed one against the push gateway emulator.
    static let clean = """
        Running 3s test @ http://127.0.0.1:18777
          1 threads and 8 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency   188.98us  433.38us  22.99ms   99.48%
            Req/Sec    30.45k     3.55k   35.63k    66.67%
          92721 requests in 3.00s, 17.49MB read
        Requests/sec:  30907.09
        Transfer/sec:      5.83MB
        """

    @Test("requests and seconds come from the summary line, with nothing refused")
    func clean() throws {
        let summary = try #require(WrkCeiling.summary(of: Self.clean))
        #expect(summary.requests == 92721)
        #expect(summary.seconds == 3.0)
        #expect(summary.refused == 0)
    }

    @Test("non-2xx answers and socket errors count as refused")
    func refused() throws {
        let report = Self.clean.replacingOccurrences(of: "Requests/sec", with: """
            Socket errors: connect 0, read 2, write 1, timeout 4
              Non-2xx or 3xx responses: 17
            Requests/sec
            """)
        let summary = try #require(WrkCeiling.summary(of: report))
        #expect(summary.refused == 24)
        #expect(summary.requests == 92721)
    }

    @Test("a report without its summary line reads as nothing")
    func missing() {
        #expect(WrkCeiling.summary(of: "unable to connect to 127.0.0.1:1 Connection refused") == nil)
        #expect(WrkCeiling.summary(of: "0 requests in 0.00us, 0.00B read") == nil)
    }

    @Test("durations in wrk's units")
    func durations() {
        #expect(WrkCeiling.duration("512.5ms") == 0.5125)
        #expect(WrkCeiling.duration("1.00s") == 1.0)
        #expect(WrkCeiling.duration("1.50m") == 90.0)
        #expect(WrkCeiling.duration("250.00us") == 0.00025)
        #expect(WrkCeiling.duration("2.00h") == 7200.0)
        #expect(WrkCeiling.duration("3 s") == nil)
        #expect(WrkCeiling.duration("fast") == nil)
    }
}
