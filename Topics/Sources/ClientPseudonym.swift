/// The key that stands for a client on the bus: a keyed hash of the party's
/// type and code, so topics and logs never carry a person code as a key,
/// while every service with the secret derives the same key.
public enum ClientPseudonym {
    /// `c:` and 32 hex digits (128 bits of HMAC-SHA256).
    public static func key(for party: PartyReference, secret: String) -> String {
        let mac = SHA256.hmac(key: Array(secret.utf8), message: Array("\(party.type.rawValue):\(party.id)".utf8))
        return "c:" + Hex.string(mac.prefix(16))
    }
}
