import Foundation

/// A strict forward reader over JSON bytes for the hand-written readers of
/// hot contracts (`JSONReadable`). It understands objects, arrays, strings,
/// booleans, integers and `null`; anything else (fractions, exponents) it reports as unsupported (nil), and the caller falls
/// back to `JSONDecoder`, which then gives the exact reason a record is bad.
/// So a scanner never has to explain an error: it only has to be sure.
public struct JSONScanner {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    public mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    /// Consumes `byte` after optional whitespace.
    public mutating func take(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard current == byte else { return false }
        index += 1
        return true
    }

    /// Consumes `null` after optional whitespace.
    public mutating func takeNull() -> Bool {
        skipWhitespace()
        guard index + 4 <= bytes.count, bytes[index] == 0x6E, bytes[index + 1] == 0x75,
              bytes[index + 2] == 0x6C, bytes[index + 3] == 0x6C else { return false }
        index += 4
        return true
    }

    /// True when only whitespace is left.
    public mutating func atEnd() -> Bool {
        skipWhitespace()
        return index == bytes.count
    }

    /// Reads the members of an object, calling `member` with each key; the
    /// closure must consume the value. Nil for anything but a well-formed object.
    public mutating func object(_ member: (inout JSONScanner, String) -> Bool) -> Bool {
        guard take(0x7B) else { return false }  // {
        if take(0x7D) { return true }  // }
        while true {
            guard let key = string(), take(0x3A), member(&self, key) else { return false }  // :
            if take(0x2C) { continue }  // ,
            return take(0x7D)
        }
    }

    /// Reads the elements of an array; the closure must consume one element.
    public mutating func array(_ element: (inout JSONScanner) -> Bool) -> Bool {
        guard take(0x5B) else { return false }  // [
        if take(0x5D) { return true }  // ]
        while true {
            guard element(&self) else { return false }
            if take(0x2C) { continue }  // ,
            return take(0x5D)
        }
    }

    /// `true` or `false`.
    public mutating func bool() -> Bool? {
        skipWhitespace()
        if matches("true") { return true }
        if matches("false") { return false }
        return nil
    }

    /// An integer written as plain digits with an optional minus; nil for a
    /// fraction, an exponent, a leading zero or a value beyond `Int`.
    public mutating func integer() -> Int? {
        skipWhitespace()
        let start = index
        var negative = false
        if current == 0x2D { negative = true; index += 1 }  // -
        let digits = index
        var value = 0
        while let byte = current, (0x30 ... 0x39).contains(byte) {
            let (times, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = times.addingReportingOverflow(Int(byte - 0x30))
            guard !overflowA, !overflowB else { index = start; return nil }
            value = sum
            index += 1
        }
        let count = index - digits
        guard count > 0, !(count > 1 && bytes[digits] == 0x30) else { index = start; return nil }
        if let byte = current, byte == 0x2E || byte == 0x65 || byte == 0x45 { index = start; return nil }  // . e E
        return negative ? -value : value
    }

    private mutating func matches(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0 ..< count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// A string value with its escapes resolved; nil for anything JSON would
    /// not accept (raw control characters, bad escapes, lone surrogates, invalid UTF-8).
    public mutating func string() -> String? {
        guard take(0x22) else { return nil }  // "
        let start = index
        var seen: UInt8 = 0
        // The common case: no escapes, so the bytes are the string.
        while let byte = current {
            if byte == 0x22 {
                let text = Self.text(UnsafeRawBufferPointer(rebasing: bytes[start ..< index]), ascii: seen < 0x80)
                index += 1
                return text
            }
            if byte == 0x5C || byte < 0x20 { break }  // backslash or control character
            seen |= byte
            index += 1
        }
        guard current == 0x5C else { return nil }
        var text = Array(bytes[start ..< index])
        while let byte = current {
            index += 1
            switch byte {
            case 0x22:
                return String(validating: text, as: UTF8.self)
            case 0x5C:
                guard let escape = current else { return nil }
                index += 1
                switch escape {
                case 0x22, 0x5C, 0x2F: text.append(escape)
                case 0x62: text.append(0x08)
                case 0x66: text.append(0x0C)
                case 0x6E: text.append(0x0A)
                case 0x72: text.append(0x0D)
                case 0x74: text.append(0x09)
                case 0x75:
                    guard let scalar = unicodeEscape() else { return nil }
                    text.append(contentsOf: String(Character(scalar)).utf8)
                default: return nil
                }
            case ..<0x20:
                return nil
            default:
                text.append(byte)
            }
        }
        return nil
    }

    /// A string value that is a UUID (8-4-4-4-12), read from its bytes without making a string.
    public mutating func uuid() -> UUID? { plainString().flatMap(UUID.init(utf8:)) }

    /// A string value that is an RFC 3339 timestamp, read from its bytes without making a string.
    public mutating func timestamp() -> Date? { plainString().flatMap(RFC3339Timestamp.parse(utf8:)) }

    /// The bytes of a string value with no escapes and no control characters; nil for any other (an escaped
    /// id or time is then read by the caller's fallback).
    private mutating func plainString() -> UnsafeRawBufferPointer? {
        guard take(0x22) else { return nil }  // "
        let start = index
        while let byte = current {
            if byte == 0x22 {
                defer { index += 1 }
                return UnsafeRawBufferPointer(rebasing: bytes[start ..< index])
            }
            if byte == 0x5C || byte < 0x20 { return nil }
            index += 1
        }
        return nil
    }

    /// Unescaped bytes as a string; nil for invalid UTF-8. `String(decoding:)` takes the standard
    /// library's fast path (its generic `String(validating:)` cost a channel worker more than the rest of
    /// reading a notice); it repairs invalid bytes with U+FFFD, so a result holding one that the bytes do
    /// not spell out (EF BF BD) is checked strictly.
    static func text(_ raw: UnsafeRawBufferPointer, ascii: Bool) -> String? {
        let text = String(decoding: raw, as: UTF8.self)
        if ascii || !text.utf8.contains(0xEF) { return text }
        return String(validating: raw, as: UTF8.self)
    }

    /// The scalar of a `\uXXXX` escape (the `\u` consumed), joining a surrogate pair.
    private mutating func unicodeEscape() -> Unicode.Scalar? {
        guard let first = hex4() else { return nil }
        switch first {
        case 0xD800 ... 0xDBFF:
            guard index + 2 <= bytes.count, bytes[index] == 0x5C, bytes[index + 1] == 0x75 else { return nil }
            index += 2
            guard let second = hex4(), (0xDC00 ... 0xDFFF).contains(second) else { return nil }
            return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
        case 0xDC00 ... 0xDFFF:
            return nil
        default:
            return Unicode.Scalar(first)
        }
    }

    private mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0 ..< 4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case 0x30 ... 0x39: digit = byte - 0x30
            case 0x41 ... 0x46: digit = byte - 0x41 + 10
            case 0x61 ... 0x66: digit = byte - 0x61 + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}

// MARK: Composite values, built on the scanner's own

extension JSONScanner {
    /// `null` as `.some(nil)`, a value `read` accepts as `.some(value)`, anything else nil.
    public mutating func optional<Value>(_ read: (inout JSONScanner) -> Value?) -> Value?? {
        if takeNull() { return .some(nil) }
        guard let value = read(&self) else { return nil }
        return .some(value)
    }

    /// An array of strings.
    public mutating func strings() -> [String]? {
        var values: [String] = []
        guard array({ scanner in
            guard let value = scanner.string() else { return false }
            values.append(value)
            return true
        }) else { return nil }
        return values
    }

    /// An object whose members are all strings; a repeated member gives nil.
    public mutating func stringMap() -> [String: String]? {
        var values: [String: String] = [:]
        guard object({ scanner, key in
            guard values[key] == nil, let value = scanner.string() else { return false }
            values[key] = value
            return true
        }) else { return nil }
        return values
    }
}

/// A contract with a hand-written reader for the valid, common case. The
/// reader returns nil whenever it is not certain, and the codec then decodes
/// with `JSONDecoder`, so errors and their paths stay exactly as before.
public protocol JSONReadable {
    static func read(json: UnsafeRawBufferPointer) -> Self?
}
