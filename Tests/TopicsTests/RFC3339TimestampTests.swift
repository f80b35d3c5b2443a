import Foundation
import Testing
@testable import Topics

@Suite("Strict RFC 3339 timestamps")
struct RFC3339TimestampTests {
    /// 2025-01-01T10:00:00Z
    static let tenUTC = Date(timeIntervalSince1970: 1_735_725_600)

    @Test("UTC with Z")
    func utc() {
        #expect(RFC3339Timestamp.parse("2025-01-01T10:00:00Z") == Self.tenUTC)
        #expect(RFC3339Timestamp.parse("2025-01-01t10:00:00z") == Self.tenUTC)
    }

    @Test("Positive and negative offsets are applied")
    func offsets() {
        #expect(RFC3339Timestamp.parse("2025-01-01T12:00:00+02:00") == Self.tenUTC)
        #expect(RFC3339Timestamp.parse("2025-01-01T04:30:00-05:30") == Self.tenUTC)
        #expect(RFC3339Timestamp.parse("2025-01-01T10:00:00-00:00") == Self.tenUTC)
    }

    @Test("Fractional seconds of any precision")
    func fractions() throws {
        #expect(RFC3339Timestamp.parse("2025-01-01T10:00:00.5Z") == Self.tenUTC.addingTimeInterval(0.5))
        let micro = try #require(RFC3339Timestamp.parse("2025-01-01T12:00:00.123456+02:00"))
        #expect(abs(micro.timeIntervalSince(Self.tenUTC) - 0.123456) < 1e-6)
        #expect(RFC3339Timestamp.parse("2025-01-01T10:00:00.000000001Z") != nil)
    }

    @Test("A fraction of up to 15 digits, figured without strtod, is the double that parsing its digits gives; longer ones too")
    func fractionsAsParsed() throws {
        var generator = SystemRandomNumberGenerator()
        for digits in 1 ... 18 {
            for _ in 0 ..< 200 {
                let fraction = String((0 ..< digits).map { _ in Character(String(Int.random(in: 0 ... 9, using: &generator))) })
                let parsed = try #require(RFC3339Timestamp.parse("1970-01-01T00:00:00.\(fraction)Z"))
                #expect(parsed == Date(timeIntervalSince1970: Double("0." + fraction)!), "0.\(fraction)")
            }
        }
        #expect(RFC3339Timestamp.parse("2025-01-01T10:00:00.Z") == nil)
    }

    @Test("Calendar edge cases")
    func calendar() {
        #expect(RFC3339Timestamp.parse("2024-02-29T00:00:00Z") == Date(timeIntervalSince1970: 1_709_164_800))
        #expect(RFC3339Timestamp.parse("2000-02-29T00:00:00Z") != nil)
        #expect(RFC3339Timestamp.parse("1969-12-31T23:59:59Z") == Date(timeIntervalSince1970: -1))
        #expect(RFC3339Timestamp.parse("1970-01-01T00:00:00Z") == Date(timeIntervalSince1970: 0))
    }

    @Test("Rejected inputs", arguments: [
        "2025-01-01T10:00:00",          // no offset
        "2025-01-01 10:00:00Z",         // space instead of T
        "2025-01-01",                   // date only
        "10:00:00Z",                    // time only
        "garbage", "", "2025-01-01T10:00:00ZZ", "2025-01-01T10:00:00+02", "2025-01-01T10:00:00+2:00",
        "2025-01-01T10:00:00+0200", "2025-01-01T10:00:00.Z", "2025-1-01T10:00:00Z", "+2025-01-01T10:00:00Z",
        "2025-13-01T10:00:00Z", "2025-02-29T10:00:00Z", "1900-02-29T10:00:00Z", "2025-04-31T10:00:00Z",
        "2025-01-00T10:00:00Z", "2025-01-01T24:00:00Z", "2025-01-01T10:60:00Z", "2025-01-01T23:59:60Z",
        "2025-01-01T10:00:00+24:00", "2025-01-01T10:00:00+02:60", "２０２５-01-01T10:00:00Z",
    ])
    func rejected(text: String) {
        #expect(RFC3339Timestamp.parse(text) == nil)
        #expect(!JSONStringFormat.dateTime.accepts(text))
    }

    @Test("Formatting is UTC, with fraction only when present")
    func formatting() {
        #expect(RFC3339Timestamp.format(Self.tenUTC) == "2025-01-01T10:00:00Z")
        #expect(RFC3339Timestamp.format(Self.tenUTC.addingTimeInterval(0.25)) == "2025-01-01T10:00:00.25Z")
        #expect(RFC3339Timestamp.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.5Z")
        #expect(RFC3339Timestamp.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
        #expect(RFC3339Timestamp.format(Date(timeIntervalSince1970: 253_402_300_800.5)) == "10000-01-01T00:00:00.5Z")
        #expect(RFC3339Timestamp.format(Date(timeIntervalSince1970: -62_135_596_800)) == "0001-01-01T00:00:00Z")
    }

    @Test("Formatting agrees with Foundation's calendar over random instants, to the microsecond")
    func formattingAgreesWithCalendar() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        var generator = SystemRandomNumberGenerator()
        for _ in 0 ..< 2_000 {
            let micros = Int64.random(in: -2_208_988_800_000_000 ... 7_258_118_400_000_000, using: &generator)  // 1900 to 2200
            let date = Date(timeIntervalSince1970: Double(micros) / 1_000_000)
            let text = RFC3339Timestamp.format(date)
            let wholeSeconds = Date(timeIntervalSince1970: Double(micros.quotientAndRemainder(dividingBy: 1_000_000).quotient
                                                                  - (micros % 1_000_000 < 0 ? 1 : 0)))
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: wholeSeconds)
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!)
            #expect(text.hasPrefix(expected), "\(text) for \(expected)")
            let again = try #require(RFC3339Timestamp.parse(text))
            #expect(abs(again.timeIntervalSince(date)) < 1e-6, "\(text)")
        }
    }

    @Test("Format then parse returns the same instant", arguments: [
        "2025-03-14T09:30:00+02:00", "1999-12-31T23:59:59.999-01:00", "2024-02-29T12:00:00.000001Z",
    ])
    func roundTrip(text: String) throws {
        let date = try #require(RFC3339Timestamp.parse(text))
        let again = try #require(RFC3339Timestamp.parse(RFC3339Timestamp.format(date)))
        #expect(abs(again.timeIntervalSince(date)) < 1e-6)
    }
}
