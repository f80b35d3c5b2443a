import Foundation

/// The JSON form of the hub's own record values (case states, notification
/// requests): sorted keys, unescaped slashes and RFC 3339 times, the same
/// everywhere. Values that write themselves (`JSONWritable`) skip
/// `JSONEncoder`; the bytes are the same but for lowercase ids.
public enum RecordJSON {
    public static func encode<Value: Encodable>(_ value: Value) throws -> Data {
        if let writable = value as? any JSONWritable { return Data(JSONWriter.encode(writable)) }
        return try foundationEncoder().encode(value)
    }

    /// `encode`'s bytes as a Kafka record value takes them: a value that writes itself goes straight
    /// into the array, without the two copies through `Data`.
    public static func bytes<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        if let writable = value as? any JSONWritable { return JSONWriter.encode(writable) }
        return Array(try foundationEncoder().encode(value))
    }

    /// `JSONEncoder` configured for the canonical form, for values without a writer (and to check the writers).
    public static func foundationEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339Timestamp.format(date))
        }
        return encoder
    }

    /// Reads RFC 3339 times with or without a fraction (older records were written in whole seconds).
    /// Values with a hand-written reader (`JSONReadable`) try it first; it gives up on anything unusual, and `JSONDecoder` decides.
    public static func decode<Value: Decodable>(_ type: Value.Type, from data: Data) throws -> Value {
        if let readable = type as? any JSONReadable.Type, let value = data.withUnsafeBytes({ readable.read(json: $0) }) as? Value {
            return value
        }
        return try sharedDecoder.decode(type, from: data)
    }

    /// `decode` on a record's bytes: the hand-written reader reads them where they are, and only `JSONDecoder`
    /// (where the reader gives up) needs them copied into `Data`.
    public static func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value {
        if let readable = type as? any JSONReadable.Type, let value = bytes.withUnsafeBytes({ readable.read(json: $0) }) as? Value {
            return value
        }
        return try sharedDecoder.decode(type, from: Data(bytes))
    }

    /// One configured decoder for every call: `decode` keeps no state between calls, and making one per record shows.
    static let sharedDecoder = foundationDecoder()

    /// `JSONDecoder` reading RFC 3339 times with an offset, the one date form the hub accepts.
    public static func foundationDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = RFC3339Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an RFC 3339 timestamp with offset")
            }
            return date
        }
        return decoder
    }
}
