/// How a text travels as SMS: in GSM-7 when every character is in the GSM
/// 03.38 alphabet (its extension characters take two septets), otherwise in
/// UCS-2 (Latvian diacritics force it). One message holds 160 septets or 70
/// UCS-2 units; a concatenated one 153 or 67 per segment.
public struct SMSText: Sendable, Hashable {
    public enum Encoding: String, Sendable, Hashable {
        case gsm7
        case ucs2
    }

    public let text: String
    public let encoding: Encoding
    /// Septets (GSM-7) or UTF-16 units (UCS-2).
    public let units: Int

    public init(_ text: String) {
        self.text = text
        if let septets = Self.gsm7Septets(text) {
            encoding = .gsm7
            units = septets
        } else {
            encoding = .ucs2
            units = text.utf16.count
        }
    }

    public var segments: Int {
        let (single, part) = encoding == .gsm7 ? (160, 153) : (70, 67)
        if units == 0 { return 1 }
        return units <= single ? 1 : (units + part - 1) / part
    }

    /// The text cut (at a word where it can, ending in `…`) to fit `maxSegments`; unchanged when it fits.
    public func capped(toSegments maxSegments: Int) -> SMSText {
        guard segments > maxSegments, maxSegments >= 1 else { return self }
        let (single, part) = encoding == .gsm7 ? (160, 153) : (70, 67)
        let budget = maxSegments == 1 ? single : maxSegments * part
        // The ellipsis is not in GSM-7: a GSM-7 text ends in "..." instead.
        let ellipsis = encoding == .gsm7 ? "..." : "…"
        var kept = ""
        var used = 0
        let ellipsisUnits = encoding == .gsm7 ? 3 : 1
        for character in text {
            let cost = encoding == .gsm7 ? (Self.gsm7Septets(String(character)) ?? 2) : String(character).utf16.count
            if used + cost + ellipsisUnits > budget { break }
            kept.append(character)
            used += cost
        }
        if let space = kept.lastIndex(of: " "), kept.distance(from: kept.startIndex, to: space) > kept.count * 3 / 4 {
            kept = String(kept[..<space])
        }
        return SMSText(kept + ellipsis)
    }

    /// Septets the text takes in GSM-7; nil when a character is outside the alphabet.
    static func gsm7Septets(_ text: String) -> Int? {
        var septets = 0
        for scalar in text.unicodeScalars {
            if basic.contains(scalar) { septets += 1 } else if extended.contains(scalar) { septets += 2 } else { return nil }
        }
        return septets
    }

    private static let basic: Set<Unicode.Scalar> = Set(
        ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
            .unicodeScalars)
    private static let extended: Set<Unicode.Scalar> = Set("^{}\\[~]|€\u{0C}".unicodeScalars)
}
