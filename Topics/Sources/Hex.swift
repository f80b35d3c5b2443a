/// Lowercase hexadecimal, the one spelling of raw bytes in the hub's ids,
/// pseudonyms, hashes and trace contexts.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Appends the byte's two digits.
    public static func append(_ byte: UInt8, to text: inout [UInt8]) {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0F)])
    }

    public static func string(_ bytes: some Sequence<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes { append(byte, to: &text) }
        return String(decoding: text, as: UTF8.self)
    }
}
