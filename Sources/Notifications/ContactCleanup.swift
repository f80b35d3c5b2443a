import Foundation
import Topics

/// Cleans a profile of the contacts a gateway said are gone: a push gateway's
/// 410/404 marks a device token invalid, and the channel worker's receipt
/// names it by fingerprint (`invalidContacts`, `ContactFingerprint`), never by
/// the token. Push tokens only: a phone number or an e-mail address that
/// failed once is the client's to change, not the hub's to forget.
public enum ContactCleanup {
    /// The profile without the push tokens whose fingerprints are given; nil when none of them is in it.
    public static func removing(_ fingerprints: [String], from profile: ClientProfile, at now: Date) -> ClientProfile? {
        let gone = Set(fingerprints)
        let kept = profile.contacts.pushTokens.filter { !gone.contains(ContactFingerprint.of($0)) }
        guard kept.count < profile.contacts.pushTokens.count else { return nil }
        var cleaned = profile
        cleaned.contacts.pushTokens = kept
        cleaned.updatedAt = now
        return cleaned
    }
}
