import Foundation

/// A value that writes its own canonical JSON: the bytes `JSONEncoder` gives
/// with sorted keys, unescaped slashes and RFC 3339 dates, without its
/// intermediate tree. For values written once per event on the hot path;
/// `JSONWriterEquivalenceTests` hold each conformance to its `Codable` form.
public protocol JSONWritable {
    func write(to writer: inout JSONWriter)
}

/// Streams canonical JSON into a byte buffer. Keys must come in ascending
/// byte order, as `JSONEncoder`'s `.sortedKeys` orders them; absent optionals
/// are left out, as synthesized `Codable` leaves them out.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Per open object, innermost in the lowest bit: whether it has a member yet (a bit stack, no array to
    /// allocate and check; the hub's records nest far below 64 objects).
    private var hasMember: UInt64 = 0
    private var depth = 0

    public init(capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
    }

    public static func encode(_ value: some JSONWritable) -> [UInt8] {
        var writer = JSONWriter()
        value.write(to: &writer)
        return writer.bytes
    }

    // MARK: Structure

    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        precondition(depth < 64, "JSONWriter nests at most 64 objects")
        bytes.append(UInt8(ascii: "{"))
        hasMember <<= 1
        depth += 1
        body(&self)
        hasMember >>= 1
        depth -= 1
        bytes.append(UInt8(ascii: "}"))
    }

    public mutating func array<Element>(_ elements: some Sequence<Element>, _ write: (inout JSONWriter, Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        var first = true
        for element in elements {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            write(&self, element)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Starts a member of the innermost object.
    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// The comma before every member of an object but its first.
    private mutating func separate() {
        precondition(depth > 0, "a key outside an object")
        if hasMember & 1 != 0 { bytes.append(UInt8(ascii: ",")) }
        hasMember |= 1
    }

    /// Starts a member whose name is only known at run time (a map's keys), escaped like any string.
    public mutating func key(dynamic name: String) {
        separate()
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    // MARK: Members (left out when nil)

    public mutating func member(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name); string(value)
    }

    public mutating func member(_ name: StaticString, _ value: some RawRepresentable<String>) {
        key(name); string(value.rawValue)
    }

    public mutating func member<Value: RawRepresentable<String>>(_ name: StaticString, _ value: Value?) {
        guard let value else { return }
        key(name); string(value.rawValue)
    }

    public mutating func member(_ name: StaticString, _ value: Date?) {
        guard let value else { return }
        key(name); date(value)
    }

    public mutating func member(_ name: StaticString, _ value: UUID?) {
        guard let value else { return }
        key(name); uuid(value)
    }

    public mutating func member(_ name: StaticString, _ value: Double?) {
        guard let value else { return }
        key(name); number(value)
    }

    public mutating func member(_ name: StaticString, _ value: Int?) {
        guard let value else { return }
        key(name); bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func member(_ name: StaticString, _ value: Bool) {
        key(name); bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// A string map, its keys in `JSONEncoder`'s `.sortedKeys` order.
    public mutating func member(_ name: StaticString, _ value: [String: String]?) {
        guard let value else { return }
        key(name)
        object { json in
            for (key, text) in value.sorted(by: { $0.key < $1.key }) {
                json.key(dynamic: key)
                json.string(text)
            }
        }
    }

    public mutating func member(_ name: StaticString, _ value: (some JSONWritable)?) {
        guard let value else { return }
        key(name); value.write(to: &self)
    }

    // MARK: Values

    /// A JSON string: `"` and `\` escaped, control characters as `JSONEncoder` writes them, `/` left alone.
    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var start = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                start = index + 1
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case 0x08: bytes.append(contentsOf: [0x5C, UInt8(ascii: "b")])
                case 0x0C: bytes.append(contentsOf: [0x5C, UInt8(ascii: "f")])
                default:
                    bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    Hex.append(byte, to: &bytes)
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<utf8.count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// RFC 3339 in UTC, the form `RFC3339Timestamp.format` gives.
    public mutating func date(_ date: Date) {
        bytes.append(UInt8(ascii: "\""))
        RFC3339Timestamp.write(date, into: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Lowercase, the form every hub contract uses for ids.
    public mutating func uuid(_ uuid: UUID) {
        bytes.append(UInt8(ascii: "\""))
        uuid.appendLowercased(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Whole numbers without a fraction, as `JSONEncoder` writes them; others in Swift's shortest round-trip form.
    public mutating func number(_ value: Double) {
        if value == value.rounded(), abs(value) < 1e15 {
            bytes.append(contentsOf: String(Int64(value)).utf8)
        } else {
            bytes.append(contentsOf: String(value).utf8)
        }
    }
}
