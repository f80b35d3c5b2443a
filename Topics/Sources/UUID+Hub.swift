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
        var bytes = [UInt8](repeating: 0, count: 16)
        var count = 0, high: UInt8? = nil
        for (index, character) in text.utf8.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard character == UInt8(ascii: "-") else { return nil }
                continue
            }
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = character - UInt8(ascii: "A") + 10
            default: return nil
            }
            guard index < 36 else { return nil }
            if let first = high {
                bytes[count] = first << 4 | nibble
                count += 1
                high = nil
            } else {
                high = nibble
            }
        }
        guard count == 16, high == nil else { return nil }
        self.init(sixteen: bytes)
    }

    private init(sixteen bytes: [UInt8]) {
        self.init(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                         bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}
