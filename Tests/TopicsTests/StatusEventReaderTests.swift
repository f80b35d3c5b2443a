import Foundation
import Testing
@testable import Topics

/// The hand-written status event reader must agree with `JSONDecoder`
/// whenever it answers, and must answer for the events agencies send.
@Suite("Status event reader agrees with JSONDecoder")
struct StatusEventReaderTests {
    private static func fast(_ text: String) -> StatusEvent? { fast(Array(text.utf8)) }
    private static func fast(_ bytes: [UInt8]) -> StatusEvent? { bytes.withUnsafeBytes { StatusEvent.read(json: $0) } }
    private static func slow(_ bytes: [UInt8]) -> StatusEvent? { try? RecordJSON.foundationDecoder().decode(StatusEvent.self, from: Data(bytes)) }

    static let minimal = #"{"eventId":"9b2f8c1e-4d3a-4f5b-8c7d-6e5f4a3b2c1d","caseId":"A-1","agency":"VID","serviceId":"vid-1","channel":"portal","status":"submitted","occurredAt":"2025-03-14T09:30:00+02:00"}"#

    @Test("fixtures: minimal, full, nulls, whitespace, escapes, Latvian and emoji")
    func fixtures() throws {
        let full = String(decoding: try RecordJSON.encode(StatusEvent.example), as: UTF8.self)
        let pretty: String = try {
            let encoder = RecordJSON.foundationEncoder()
            encoder.outputFormatting = [.prettyPrinted]
            return String(decoding: try encoder.encode(StatusEvent.example), as: UTF8.self)
        }()
        let nulls = #"{"step":null,"client":null,"representative":null,"result":{"decision":null,"reason":"r","link":null},"note":null,"#
            + Self.minimal.dropFirst()
        let escaped = #"{"note":"line\nquote\" slash\/ back\\ tab\t \u0041\u0101 \ud83d\ude00 \u0000","caseId":"\u0041-1","#
            + #""eventId":"9B2F8C1E-4D3A-4F5B-8C7D-6E5F4A3B2C1D","agency":"VID","serviceId":"vid-1","channel":"e_address","#
            + #""status":"in_progress","occurredAt":"2025-03-14T09:30:00.125Z","step":"pārbaude 📄"}"#
        for text in [Self.minimal, full, pretty, nulls, escaped, " \n\t" + Self.minimal + "\r\n "] {
            let bytes = Array(text.utf8)
            let fast = try #require(Self.fast(bytes), "the reader gave up on \(text)")
            #expect(fast == Self.slow(bytes))
        }
        let read = try #require(Self.fast(escaped))
        #expect(read.note == "line\nquote\" slash/ back\\ tab\t Aā 😀 \u{0}")
        #expect(read.caseId == "A-1")
        #expect(read.step == "pārbaude 📄")
    }

    @Test("gives up on what only the decoder can explain", arguments: [
        #"{"unknown":1,"#,                          // unknown member
        #"{"caseId":"B-2","#,                        // repeated member
        #"{"note":5,"#,                              // number where a string belongs
        #"{"note":"\ud800","#,                       // lone surrogate
        "{\"note\":\"a\u{01}b\",",                   // raw control character
        #"{"note":"\x","#,                           // unknown escape
        #"{"result":{"link":"http://x.example"},"#,  // link not https
        #"{"client":{"type":"robot","id":"1"},"#,    // unknown party type
        #"{"client":{"type":"person"},"#,            // party without id
    ])
    func givesUp(prefix: String) {
        let text = prefix + Self.minimal.dropFirst()
        #expect(Self.fast(text) == nil)
    }

    @Test("gives up on invalid required values and on trailing bytes")
    func invalidValues() {
        for (from, to) in [("9b2f8c1e-4d3a", "9b2f8c1e-4d3g"), ("\"A-1\"", "\"\""), ("\"VID\"", "\"vid\""), ("\"vid-1\"", "\"\""),
                           ("\"portal\"", "\"fax\""), ("\"submitted\"", "\"lost\""), ("+02:00", "")] {
            #expect(Self.fast(Self.minimal.replacingOccurrences(of: from, with: to)) == nil, "\(to)")
        }
        #expect(Self.fast(Self.minimal + "x") == nil)
        #expect(Self.fast(Self.minimal + "{}") == nil)
        #expect(Self.fast(String(Self.minimal.dropLast())) == nil)
    }

    @Test("random events read back equal through both writers")
    func randomEvents() throws {
        var random = SplitMix64(seed: 20261123)
        for _ in 0 ..< 400 {
            let event = StatusEvent.random(using: &random)
            for bytes in [Array(try RecordJSON.foundationEncoder().encode(event)), JSONWriter.encode(event)] {
                let fast = try #require(Self.fast(bytes))
                #expect(fast == event)
                #expect(fast == Self.slow(bytes))
            }
        }
    }

    @Test("mutated records: whenever the reader answers, the decoder agrees")
    func mutations() throws {
        let seeds = [Array(Self.minimal.utf8), Array(try RecordJSON.encode(StatusEvent.example))]
        let answered = mutatedReadsAgree(seeds: seeds, seed: 7, fast: Self.fast, slow: Self.slow)
        // Many mutations land inside free text and still read: the property is not vacuous.
        #expect(answered > 500)
    }
}

/// A small seeded generator, so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension StatusEvent {
    static func random(using random: inout SplitMix64) -> StatusEvent {
        let pieces = ["a", "Z", "ā", "Ž", "ē", "\"", "\\", "/", "\n", "\t", "\u{1}", "\u{1F}", "😀", "€", " ", "{", "}", ":", ",", "\u{0}"]
        func text(_ range: ClosedRange<Int>) -> String {
            String((0 ..< Int.random(in: range, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined())
        }
        func maybe<T>(_ make: () -> T) -> T? { Bool.random(using: &random) ? make() : nil }
        return StatusEvent(
            eventId: UUID.random(), caseId: text(1 ... 20), agency: ["VID", "VSAA", "PMLP", "RIGA_DOME", "CSDD-2"].randomElement(using: &random)!,
            serviceId: text(1 ... 10), channel: StatusChannel.allCases.randomElement(using: &random)!,
            status: CaseStatus.allCases.randomElement(using: &random)!,
            occurredAt: Date(timeIntervalSince1970: Double(Int.random(in: 1_600_000_000_000 ... 1_900_000_000_000, using: &random)) / 1000),
            step: maybe { text(0 ... 8) },
            client: maybe { PartyReference(type: PartyType.allCases.randomElement(using: &random)!, id: text(1 ... 12)) },
            representative: maybe { PartyReference(type: .company, id: text(1 ... 12)) },
            result: maybe { CaseResult(decision: maybe { text(0 ... 6) }, reason: maybe { text(0 ... 30) }, link: maybe { "https://x.example/c/" + String(Int.random(in: 1 ... 999, using: &random)) }) },
            note: maybe { text(0 ... 60) })
    }
}
