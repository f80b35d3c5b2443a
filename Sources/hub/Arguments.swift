/// Command-line words: positionals, `--name value` options (repeatable) and
/// `--flag` switches. Unknown options are an error naming them.
struct Arguments {
    private(set) var positionals: [String] = []
    private var options: [String: [String]] = [:]
    private var flags: Set<String> = []

    /// `valued` lists options that take a value; everything else starting with `--` is a switch.
    init(_ words: [String], valued: Set<String>, switches: Set<String>) throws {
        var index = 0
        while index < words.count {
            let word = words[index]
            if word.hasPrefix("--") {
                var name = String(word.dropFirst(2))
                var inline: String?
                if let equals = name.firstIndex(of: "=") {
                    inline = String(name[name.index(after: equals)...])
                    name = String(name[..<equals])
                }
                if valued.contains(name) {
                    let value: String
                    if let inline { value = inline } else {
                        index += 1
                        guard index < words.count else { throw UsageError("--\(name) needs a value") }
                        value = words[index]
                    }
                    options[name, default: []].append(value)
                } else if switches.contains(name) || name == "help" {
                    flags.insert(name)
                } else {
                    throw UsageError("unknown option --\(name)")
                }
            } else {
                positionals.append(word)
            }
            index += 1
        }
    }

    func value(_ name: String) -> String? { options[name]?.last }
    func values(_ name: String) -> [String] { options[name] ?? [] }
    func has(_ name: String) -> Bool { flags.contains(name) }

    func integer(_ name: String, default fallback: Int) throws -> Int {
        guard let text = value(name) else { return fallback }
        guard let number = Int(text.replacingOccurrences(of: "_", with: "")) else { throw UsageError("--\(name) must be a whole number") }
        return number
    }
}

/// A mistake in how the command was called; printed with the usage, exit 2.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
