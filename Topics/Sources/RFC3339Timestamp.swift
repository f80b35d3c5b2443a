import Foundation

/// Strict RFC 3339 timestamps ("2025-03-14T09:30:00.250+02:00"): agencies must state the offset,
/// because a local time without one is ambiguous across the DST switch.
public enum RFC3339Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; nil without an offset, with impossible
    /// calendar values, or with a leap second (which `Date` cannot represent).
    public static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// `parse(_:)` over UTF-8 bytes, for readers that scan JSON without making strings.
    public static func parse(utf8 text: UnsafeRawBufferPointer) -> Date? {
        var scanner = Scanner(bytes: text)
        guard let year = scanner.number(digits: 4), scanner.skip("-"),
              let month = scanner.number(digits: 2), scanner.skip("-"),
              let day = scanner.number(digits: 2), scanner.skip("T") || scanner.skip("t"),
              let hour = scanner.number(digits: 2), scanner.skip(":"),
              let minute = scanner.number(digits: 2), scanner.skip(":"),
              let second = scanner.number(digits: 2)
        else { return nil }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second)
        else { return nil }

        var fraction = 0.0
        if scanner.skip(".") {
            let digits = scanner.digitRun()
            guard !digits.isEmpty else { return nil }
            if digits.count <= 15 {
                // Both exact in a Double, so the quotient is the value correctly rounded, as parsing "0.<digits>" gives.
                var numerator = 0
                for byte in digits { numerator = numerator * 10 + Int(byte - UInt8(ascii: "0")) }
                fraction = Double(numerator) / powersOfTen[digits.count]
            } else {
                guard let value = Double("0." + String(decoding: digits, as: UTF8.self)) else { return nil }
                fraction = value
            }
        }

        let offsetSeconds: Int
        if scanner.skip("Z") || scanner.skip("z") {
            offsetSeconds = 0
        } else {
            let sign: Int
            if scanner.skip("+") { sign = 1 } else if scanner.skip("-") { sign = -1 } else { return nil }
            guard let offsetHours = scanner.number(digits: 2), scanner.skip(":"),
                  let offsetMinutes = scanner.number(digits: 2),
                  (0...23).contains(offsetHours), (0...59).contains(offsetMinutes)
            else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        }
        guard scanner.isAtEnd else { return nil }

        let days = daysSinceEpoch(year: year, month: month, day: day)
        let localSeconds = days * 86_400 + hour * 3600 + minute * 60 + second
        return Date(timeIntervalSince1970: Double(localSeconds - offsetSeconds) + fraction)
    }

    /// Formats in UTC with "Z", adding up to 6 fractional digits only when the time has a fraction.
    public static func format(_ date: Date) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(27)
        write(date, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `format(date)`'s UTF-8 bytes, for writers that build JSON without intermediate strings.
    public static func write(_ date: Date, into bytes: inout [UInt8]) {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let (seconds, fraction) = floorDivision(micros, 1_000_000)
        let (days, secondOfDay) = floorDivision(seconds, 86_400)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        // Filled on the stack and appended at once: one capacity check instead of one per character.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 27) { text in
            var at = 0
            func digits(_ value: Int64, _ width: Int) {
                var rest = value
                for index in stride(from: at + width - 1, through: at, by: -1) {
                    text[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                at += width
            }
            func put(_ character: Unicode.Scalar) { text[at] = UInt8(ascii: character); at += 1 }
            if year >= 0 && year <= 9999 {
                digits(year, 4)
            } else {
                bytes.append(contentsOf: String(year).utf8)  // outside four digits (never in the hub's records): its own text first
            }
            put("-"); digits(month, 2)
            put("-"); digits(day, 2)
            put("T"); digits(secondOfDay / 3600, 2)
            put(":"); digits(secondOfDay / 60 % 60, 2)
            put(":"); digits(secondOfDay % 60, 2)
            if fraction != 0 {
                var value = fraction, width = 6
                while value % 10 == 0 { value /= 10; width -= 1 }
                put(".")
                digits(value, width)
            }
            put("Z")
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[0 ..< at]))
        }
    }

    /// 10^0 ... 10^15, each exact.
    private static let powersOfTen: [Double] = (0 ... 15).reduce(into: []) { powers, _ in powers.append((powers.last ?? 0.1) * 10) }

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        var isAtEnd: Bool { index == bytes.count }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }

        mutating func number(digits count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + count] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            index += count
            return value
        }

        mutating func digitRun() -> UnsafeRawBufferPointer {
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                index += 1
            }
            return UnsafeRawBufferPointer(rebasing: bytes[start..<index])
        }
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Days-from-civil and civil-from-days follow Howard Hinnant's proleptic Gregorian algorithms.
    /// Days from 1970-01-01 to a proleptic Gregorian date.
    public static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The (year, month, day) of a day counted from 1970-01-01.
    public static func civilDate(daysSinceEpoch days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value >= 0 ? value / divisor : (value - divisor + 1) / divisor
        return (quotient, value - quotient * divisor)
    }
}
