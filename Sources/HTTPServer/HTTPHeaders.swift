/// Header fields as received or to be sent: wire order and duplicates are kept (Set-Cookie,
/// repeated list fields), while lookups ignore ASCII case because field names are case-insensitive.
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    /// One field line; a tuple keeps call sites as light as `for (name, value) in headers`.
    public typealias Element = (name: String, value: String)

    private var fields: [Element] = []

    /// An empty set, the usual starting point for a response.
    public init() {}

    /// Builds from ordered pairs so duplicates and order survive, unlike a dictionary.
    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    /// Literal syntax for handlers: `["Content-Type": "text/plain"]`.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// Number of field lines, counting duplicates separately.
    public var count: Int { fields.count }

    /// First value for `name`, which is what single-valued fields need.
    public subscript(name: String) -> String? {
        fields.first { $0.name.equalsIgnoringASCIICase(name) }?.value
    }

    /// Every value for `name` in order, for list-valued or repeatable fields.
    public func values(for name: String) -> [String] {
        fields.filter { $0.name.equalsIgnoringASCIICase(name) }.map(\.value)
    }

    /// Whether any line carries `name`, regardless of case.
    public func contains(_ name: String) -> Bool {
        fields.contains { $0.name.equalsIgnoringASCIICase(name) }
    }

    /// Appends without touching existing lines, so repeated fields can be built up.
    public mutating func add(name: String, value: String) {
        fields.append((name: name, value: value))
    }

    /// Replaces all lines named `name` by one, for fields that must appear once.
    public mutating func replaceOrAdd(name: String, value: String) {
        remove(name: name)
        add(name: name, value: value)
    }

    /// Drops every line named `name`.
    public mutating func remove(name: String) {
        fields.removeAll { $0.name.equalsIgnoringASCIICase(name) }
    }

    /// Iterates in wire order.
    public func makeIterator() -> IndexingIterator<[Element]> {
        fields.makeIterator()
    }

    /// Order-sensitive, name-case-insensitive equality: two header blocks are the same if they would mean the same on the wire.
    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name.equalsIgnoringASCIICase($1.name) && $0.value == $1.value }
    }
}

extension HTTPHeaders {
    /// True if a comma-separated list field (Connection, ...) names `token` in any of its lines.
    func containsToken(_ token: String, inField name: String) -> Bool {
        values(for: name).contains { line in
            line.split(separator: ",").contains { $0.trimmingOWS().equalsIgnoringASCIICase(token) }
        }
    }
}
