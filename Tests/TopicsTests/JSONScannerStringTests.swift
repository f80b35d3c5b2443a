import Testing
@testable import Topics

/// The scanner's strings are strict UTF-8 on every path: ASCII, non-ASCII
/// read through the standard library's repairing fast path, and escaped.
@Suite struct JSONScannerStringTests {
    private func read(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { raw in
            var scanner = JSONScanner(raw)
            return scanner.string()
        }
    }

    private func quoted(_ inner: [UInt8]) -> [UInt8] { [0x22] + inner + [0x22] }

    @Test("ASCII, Latvian and emoji text reads back exactly, escaped or not")
    func validText() {
        for text in ["case-42", "Labdien! Jūsu iesniegums ir pieņemts: āčēģīķļņšūž", "ok 😀", ""] {
            #expect(read(quoted(Array(text.utf8))) == text)
            #expect(read(quoted(Array(text.utf8) + Array(#"\n"#.utf8))) == text + "\n")
        }
    }

    @Test("a replacement character the bytes spell out is kept")
    func literalReplacementCharacter() {
        #expect(read(quoted(Array("a \u{FFFD} ā".utf8))) == "a \u{FFFD} ā")
    }

    @Test("invalid UTF-8 is refused, never repaired: stray continuation, truncated sequence, overlong form, surrogate, 0xFF")
    func invalidBytes() {
        let invalid: [[UInt8]] = [[0x61, 0x80], [0xC4], [0xC4, 0x41], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xFF], [0xEF, 0xBF]]
        for bytes in invalid {
            #expect(read(quoted(bytes)) == nil, "\(bytes)")
            #expect(read(quoted(Array("ā".utf8) + bytes)) == nil, "\(bytes) after non-ASCII")
            #expect(read(quoted(bytes + Array(#"\t"#.utf8))) == nil, "\(bytes) before an escape")
        }
    }
}
