/// W3C trace context carried in the `traceparent` header, so one case can be followed across services.
public struct TraceContext: Sendable, Hashable, CustomStringConvertible {
    /// 32 lowercase hex digits shared by every span of one trace.
    public let traceId: String
    /// 16 lowercase hex digits naming the span that produced the record.
    public let spanId: String
    /// Trace flags as 2 hex digits; "01" means sampled.
    public let flags: String

    private init(traceId: String, spanId: String, flags: String) {
        self.traceId = traceId
        self.spanId = spanId
        self.flags = flags
    }

    /// Parses a `traceparent` value ("00-<32 hex>-<16 hex>-<2 hex>", lowercase); nil when malformed.
    public init?(traceparent: String) {
        let parts = traceparent.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, parts[0] == "00",
              Self.isLowercaseHex(parts[1], length: 32), !Self.isAllZeros(parts[1]),
              Self.isLowercaseHex(parts[2], length: 16), !Self.isAllZeros(parts[2]),
              Self.isLowercaseHex(parts[3], length: 2)
        else { return nil }
        self.init(traceId: parts[1], spanId: parts[2], flags: parts[3])
    }

    /// Starts a new sampled trace, for records that do not continue an existing one.
    public static func fresh() -> TraceContext {
        TraceContext(traceId: randomHex(bytes: 16), spanId: randomHex(bytes: 8), flags: "01")
    }

    /// A new span in the same trace, for records caused by the record carrying this context.
    public func child() -> TraceContext {
        var span = Self.randomHex(bytes: 8)
        while span == spanId { span = Self.randomHex(bytes: 8) }
        return TraceContext(traceId: traceId, spanId: span, flags: flags)
    }

    /// The header value, "00-<traceId>-<spanId>-<flags>".
    public var traceparent: String { "00-\(traceId)-\(spanId)-\(flags)" }

    /// Same as `traceparent`.
    public var description: String { traceparent }

    private static func randomHex(bytes count: Int) -> String {
        while true {
            let bytes = RandomPool.shared.bytes(count)
            if bytes.contains(where: { $0 != 0 }) { return Hex.string(bytes) }
        }
    }

    private static func isLowercaseHex(_ text: String, length: Int) -> Bool {
        text.utf8.count == length && text.utf8.allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
        }
    }

    private static func isAllZeros(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 == UInt8(ascii: "0") }
    }
}
