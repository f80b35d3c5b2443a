import DeadLetters
import Foundation
import Kafka
import Testing
import Topics

@Suite("Failure path: retry ladder, dead letters, quarantine")
struct FailureRoutingTests {
    static let original = KafkaConsumerRecord(
        topic: "notify.sms", partition: 2, offset: 41, key: Array("c:abc".utf8), value: Array(#"{"x":1}"#.utf8),
        headers: [KafkaHeader(key: "hub-event-id", string: "e-1"), KafkaHeader(key: "traceparent", string: "00-a-b-01")],
        timestampMilliseconds: 1_700_000_000_000)

    /// What a retry topic hands back: the routed record, read at `offset`.
    static func read(_ record: KafkaProducerRecord, offset: Int64) -> KafkaConsumerRecord {
        KafkaConsumerRecord(topic: record.topic, partition: 0, offset: offset, key: record.key, value: record.value,
                            headers: record.headers, timestampMilliseconds: record.timestampMilliseconds)
    }

    @Test("ladders parse from configuration and refuse nonsense")
    func ladders() throws {
        #expect(try RetryLadder(parsing: "10s,1m,10m") == .standard)
        #expect(try RetryLadder(parsing: "500ms, 2s").delaysSeconds == [0.5, 2])
        #expect(try RetryLadder(parsing: "none") == .none)
        for bad in ["10", "1h", "-1s", "0s", "11m", "fast"] { #expect(throws: LadderError.self) { try RetryLadder(parsing: bad) } }
        #expect(RetryLadder.topic(forDelay: 0.5) == "hub.retry.10s")
        #expect(RetryLadder.topic(forDelay: 60) == "hub.retry.1m")
        #expect(RetryLadder.topic(forDelay: 61) == "hub.retry.10m")
    }

    @Test("a retriable failure climbs the ladder, then is dead-lettered with the first failure's facts")
    func climbs() throws {
        let routing = FailureRouting(service: "sms-worker", ladder: try RetryLadder(parsing: "5s,30s"), hubVersion: "1.2.3")
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let failure = RecordFailure(.retriable, code: "gateway_timeout", message: "no answer in 5 s", stage: "send")
        let first = routing.route(Self.original, failure: failure, now: t0)
        #expect(first.topic == "hub.retry.10s")
        #expect(first.headers.string(FailureHeaderName.retryDue) == "1800000005000")
        #expect(first.headers.string(FailureHeaderName.attempts) == "1")
        let second = routing.route(Self.read(first, offset: 7), failure: failure, now: t0.addingTimeInterval(6))
        #expect(second.topic == "hub.retry.1m")
        #expect(second.headers.string(FailureHeaderName.retryDue) == "1800000036000")
        #expect(second.headers.string(FailureHeaderName.attempts) == "2")
        let third = routing.route(Self.read(second, offset: 9), failure: failure, now: t0.addingTimeInterval(40))
        #expect(third.topic == HubTopics.hubDeadLetter.name)
        #expect(third.headers.string(FailureHeaderName.retryDue) == nil)
        #expect(third.headers.string(FailureHeaderName.attempts) == "3")
        // The original coordinates and first failure survive the hops; the last failure moves.
        #expect(third.headers.string(FailureHeaderName.topic) == "notify.sms")
        #expect(third.headers.string(FailureHeaderName.partition) == "2")
        #expect(third.headers.string(FailureHeaderName.offset) == "41")
        #expect(third.headers.string(FailureHeaderName.timestamp) == "1700000000000")
        #expect(third.headers.string(FailureHeaderName.firstFailure) == RFC3339Timestamp.format(t0))
        #expect(third.headers.string(FailureHeaderName.lastFailure) == RFC3339Timestamp.format(t0.addingTimeInterval(40)))
        #expect(third.headers.string(FailureHeaderName.hubVersion) == "1.2.3")
        // Original key, value and headers untouched; failure headers appear once each.
        #expect(third.key == Self.original.key && third.value == Self.original.value)
        #expect(Array(third.headers.prefix(2)) == Self.original.headers)
        let names = third.headers.map(\.key).filter(FailureHeaderName.isFailureHeader)
        #expect(names.count == Set(names).count)
        #expect(DeadLetter(Self.read(third, offset: 3))?.originalHeaders == Self.original.headers)
    }

    @Test("permanent and poison failures are dead-lettered at once; quarantine goes to the service's topic")
    func atOnce() {
        let routing = FailureRouting(service: "status-ingest", ladder: .standard, hubVersion: "1", quarantineTopic: "status.quarantine")
        let permanent = routing.route(Self.original, failure: RecordFailure(.permanent, code: "missing_field", message: "m", stage: "intake", path: "$.caseId"))
        #expect(permanent.topic == "hub.deadletter")
        #expect(permanent.headers.string(FailureHeaderName.errorClass) == "permanent")
        #expect(permanent.headers.string(FailureHeaderName.path) == "$.caseId")
        #expect(permanent.headers.string(FailureHeaderName.attempts) == "1")
        let poison = routing.route(Self.original, failure: RecordFailure(.poison, code: "crashed", message: "3 restarts", stage: "transform"))
        #expect(poison.topic == "hub.deadletter")
        let quarantined = routing.route(Self.original, failure: RecordFailure(.quarantine, code: "unknown_service", message: "m", stage: "placement"))
        #expect(quarantined.topic == "status.quarantine")
        #expect(RetryLadder.none.delay(afterAttempt: 1) == nil)
    }

    @Test("jitter stretches a delay by up to its share, never shortens it, and leaves the retry topic as the step chose it")
    func jitter() throws {
        var ladder = try RetryLadder(parsing: "10s,1m")
        ladder.jitter = 0.2
        #expect(ladder.jitteredDelay(afterAttempt: 1, random: 0) == 10)
        #expect(ladder.jitteredDelay(afterAttempt: 1, random: 0.5) == 11)
        #expect(ladder.jitteredDelay(afterAttempt: 2, random: 0.999)! < 72)
        #expect(ladder.jitteredDelay(afterAttempt: 3) == nil)
        let routing = FailureRouting(service: "channel-sms", ladder: ladder, hubVersion: "test")
        let now = Date(timeIntervalSince1970: 1_000_000)
        for _ in 0 ..< 50 {
            let retried = routing.route(Self.original, failure: RecordFailure(.retriable, code: "http_503", message: "m", stage: "send"), now: now)
            #expect(retried.topic == "hub.retry.10s")
            let due = RetrySchedule.due(of: KafkaConsumerRecord(topic: retried.topic, partition: 0, offset: 0, key: nil, value: nil, headers: retried.headers, timestampMilliseconds: nil))
            #expect(due >= 1_000_010_000 && due <= 1_000_012_000, "\(due)")
        }
    }
}

@Suite("Dead-letter index, filters, stats and replay records")
struct DeadLetterIndexTests {
    static func letter(_ offset: Int64, origin: String = "status.events.VID", code: String = "missing_field", service: String = "status-ingest",
                       key: String = "VID/1", at milliseconds: Int64 = 1_800_000_000_000, value: String = #"{"client":"010190-10000"}"#) -> DeadLetter {
        let routing = FailureRouting(service: service, ladder: .none, hubVersion: "1")
        let source = KafkaConsumerRecord(topic: origin, partition: 0, offset: offset, key: Array(key.utf8), value: Array(value.utf8),
                                         headers: [KafkaHeader(key: "hub-event-id", string: "e-\(offset)")], timestampMilliseconds: milliseconds - 5)
        let routed = routing.route(source, failure: RecordFailure(.permanent, code: code, message: "m", stage: "intake"))
        return DeadLetter(KafkaConsumerRecord(topic: routed.topic, partition: 1, offset: offset, key: routed.key, value: routed.value,
                                              headers: routed.headers, timestampMilliseconds: milliseconds))!
    }

    @Test("filters combine; purged letters hide unless asked for; stats count by origin, reason, hour and state")
    func queries() {
        var index = DeadLetterIndex()
        index.add(Self.letter(1))
        index.add(Self.letter(2, code: "unknown_service"))
        index.add(Self.letter(3, origin: "notify.sms", service: "sms", key: "c:1", at: 1_800_003_600_000))
        index.add(Self.letter(4, at: 1_800_007_200_000))
        index.add(Self.letter(1))  // read twice: kept once
        #expect(index.letters.count == 4)
        #expect(index.letter(id: "hub.deadletter/1/3")?.service == "sms")
        #expect(index.query(DeadLetterFilter(topic: "status.events.VID")).map(\.id) == ["hub.deadletter/1/1", "hub.deadletter/1/2", "hub.deadletter/1/4"])
        #expect(index.query(DeadLetterFilter(reason: "missing_field")).count == 3)
        #expect(index.query(DeadLetterFilter(service: "sms", key: "c:1")).count == 1)
        let since = Date(timeIntervalSince1970: 1_800_003_600)
        #expect(index.query(DeadLetterFilter(since: since)).map(\.id) == ["hub.deadletter/1/3", "hub.deadletter/1/4"])
        #expect(index.query(DeadLetterFilter(until: since)).count == 2)
        #expect(index.query(DeadLetterFilter(), limit: 2).count == 2)

        index.apply(DeadLetterState(id: "hub.deadletter/1/2", resolution: .purged, at: Date(), by: "op"), id: "hub.deadletter/1/2")
        index.apply(DeadLetterState(id: "hub.deadletter/1/1", resolution: .replayed, at: Date(), by: "op", replays: 1), id: "hub.deadletter/1/1")
        #expect(index.query(DeadLetterFilter()).count == 3)
        #expect(index.query(DeadLetterFilter(resolutions: [.purged])).map(\.id) == ["hub.deadletter/1/2"])
        #expect(index.query(DeadLetterFilter(resolutions: [.open])).count == 2)

        let stats = index.stats(DeadLetterFilter(resolutions: Set(DeadLetterState.Resolution.allCases)))
        #expect(stats.total == 4)
        #expect(stats.byOrigin == ["status.events.VID (status-ingest)": 3, "notify.sms (sms)": 1])
        #expect(stats.byReason == ["permanent/missing_field": 3, "permanent/unknown_service": 1])
        #expect(stats.byHour == ["2027-01-15T08": 2, "2027-01-15T09": 1, "2027-01-15T10": 1])
        #expect(stats.byResolution == ["open": 2, "replayed": 1, "purged": 1])
    }

    @Test("oldest first, whatever order the partitions were read in; ties keep the order read")
    func oldestFirst() {
        var index = DeadLetterIndex()
        index.add(Self.letter(7, at: 1_800_000_300_000))  // a later partition read first
        index.add(Self.letter(1, at: 1_800_000_100_000))
        index.add(Self.letter(2, at: 1_800_000_200_000))
        index.add(Self.letter(3, at: 1_800_000_200_000))
        index.orderByTime()
        #expect(index.letters.map(\.id) == ["hub.deadletter/1/1", "hub.deadletter/1/2", "hub.deadletter/1/3", "hub.deadletter/1/7"])
        #expect(index.query(DeadLetterFilter(), limit: 2).map(\.id) == ["hub.deadletter/1/1", "hub.deadletter/1/2"])
        #expect(index.letter(id: "hub.deadletter/1/7")?.deadLetteredAtMilliseconds == 1_800_000_300_000)
    }

    @Test("a replay record is the original with who, when and from where; personal codes never reach a preview")
    func replayRecord() {
        let letter = Self.letter(9)
        let now = Date(timeIntervalSince1970: 1_800_000_100)
        let record = Replay.record(for: letter, by: "operator-a", at: now)
        #expect(record.topic == "status.events.VID")
        #expect(record.key == letter.key && record.value == letter.value)
        #expect(record.headers.string("hub-event-id") == "e-9")
        #expect(record.headers.string(ReplayHeaderName.by) == "operator-a")
        #expect(record.headers.string(ReplayHeaderName.from) == "hub.deadletter/1/9")
        #expect(record.headers.string(ReplayHeaderName.at) == RFC3339Timestamp.format(now))
        #expect(!record.headers.contains { FailureHeaderName.isFailureHeader($0.key) })
        #expect(Replay.record(for: letter, to: "elsewhere", by: "a", at: now).topic == "elsewhere")
        let state = Replay.state(for: letter, previous: DeadLetterState(id: letter.id, resolution: .replayed, at: now, by: "a", replays: 1), by: "b", at: now)
        #expect(state.replays == 2 && state.resolution == .replayed && state.replayedTo == "status.events.VID")

        let preview = ValuePreview.of(letter.value)
        #expect(!preview.contains("010190-10000"))
        #expect(ValuePreview.of(Array(String(repeating: "x", count: 100).utf8), width: 10).count == 10)
        #expect(ValuePreview.of(Array("a\nb".utf8)) == "a b")
        #expect(ValuePreview.of(nil) == "(null)")
    }
}
