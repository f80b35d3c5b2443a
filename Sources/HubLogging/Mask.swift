/// Masks personal data before it can reach a log line. Latvian person codes
/// (`DDMMYY-NNNNN`, also the new `32xxxx-xxxxx` form) and company
/// registration numbers (11 digits) are the identifiers the hub carries.
public enum Mask {
    /// Keeps the first two characters so operators can tell records apart
    /// by shape, never by identity: `010190-12345` -> `01****-*****`.
    public static func personCode(_ code: String) -> String {
        var out = ""
        for (index, character) in code.enumerated() {
            if index < 2 || character == "-" { out.append(character) } else { out.append("*") }
        }
        return out
    }

    /// A phone number with all but the last two digits hidden: `+37120001234` -> `+371******34`.
    public static func phone(_ number: String) -> String {
        let keepFrom = number.count - 2
        return String(number.enumerated().map { index, character in
            index < 4 || index >= keepFrom || !character.isNumber ? character : "*"
        })
    }

    /// An e-mail address with the local part hidden but its first letter: `anna@example.lv` -> `a***@example.lv`.
    public static func email(_ address: String) -> String {
        guard let at = address.firstIndex(of: "@"), at > address.startIndex else { return String(repeating: "*", count: address.count) }
        return String(address[address.startIndex]) + "***" + address[at...]
    }

    /// Replaces every run of 6+ digits inside free text, and a person code's
    /// `DDMMYY-NNNNN` whole (six digits, a hyphen, then digits), for messages
    /// that may quote input. A hyphen after any other count of digits ends the
    /// run, so dates (`2026-11-20`) stay readable.
    public static func identifiers(in text: String) -> String {
        let characters = Array(text)
        var out = ""
        var index = 0
        while index < characters.count {
            var end = index
            var digits = 0
            var hyphens = 0
            while end < characters.count {
                let c = characters[end]
                if c.isASCII, c.isNumber { digits += 1 }
                else if c == "-", hyphens == 0, digits == 6, end + 1 < characters.count,
                        characters[end + 1].isASCII, characters[end + 1].isNumber { hyphens += 1 }
                else { break }
                end += 1
            }
            if digits >= 6 {
                out += personCode(String(characters[index..<end]))
                index = end
            } else if end > index {
                out += String(characters[index..<end])
                index = end
            } else {
                out.append(characters[index])
                index += 1
            }
        }
        return out
    }
}
