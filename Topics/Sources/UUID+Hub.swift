import Foundation

extension UUID {
    /// A random (version 4) UUID from the system generator. On Linux,
    /// Foundation's `UUID()` opens /dev/urandom for every id, which shows on
    /// paths that make one per record.
    public static func random() -> UUID {
        var bytes = RandomPool.shared.bytes(16)
        bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        return UUID(sixteen: bytes)
    }

    /// The 8-4-4-4-12 form in lowercase, as every hub contract writes ids,
    /// without Foundation's formatting (measurable once per record).
    public var lowercasedString: String {
        var text: [UInt8] = []
        text.reserveCapacity(36)
        appendLowercased(to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends `lowercasedString`'s bytes.
    public func appendLowercased(to bytes: inout [UInt8]) {
        // Filled on the stack and appended at once: one capacity check instead of 36.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 36) { text in
            withUnsafeBytes(of: uuid) { raw in
                var at = 0
                for index in 0 ..< 16 {
                    if index == 4 || index == 6 || index == 8 || index == 10 { text[at] = UInt8(ascii: "-"); at += 1 }
                    text[at] = Hex.digit(raw[index] >> 4)
                    text[at + 1] = Hex.digit(raw[index] & 0x0F)
                    at += 2
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(text))
        }
    }

    /// Parses the 8-4-4-4-12 form in either case, exactly what `UUID(uuidString:)` accepts, without its `sscanf`.
    public init?(text: String) {
        var text = text
        guard let parsed = text.withUTF8({ UUID(utf8: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = parsed
    }

    /// `init?(text:)` over UTF-8 bytes, for readers that scan JSON without making strings.
    public init?(utf8 text: UnsafeRawBufferPointer) {
        guard text.count == 36 else { return nil }
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let valid = withUnsafeMutableBytes(of: &value) { bytes -> Bool in
            var at = 0, index = 0
            while index < 36 {
                if index == 8 || index == 13 || index == 18 || index == 23 {
                    guard text[index] == UInt8(ascii: "-") else { return false }
                    index += 1
                    continue
                }
                guard let high = Self.nibble(text[index]), let low = Self.nibble(text[index + 1]) else { return false }
                bytes[at] = high << 4 | low
                at += 1
                index += 2
            }
            return true
        }
        guard valid else { return nil }
        self.init(uuid: value)
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private init(sixteen bytes: [UInt8]) {
        self.init(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                         bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}
