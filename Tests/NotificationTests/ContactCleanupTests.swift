import Foundation
import Notifications
import Testing
import Topics

@Suite("Contact cleanup: push tokens a gateway said are gone leave the profile")
struct ContactCleanupTests {
    let profile = ClientProfile(clientKey: "c:" + String(repeating: "a", count: 32), channels: [.push, .email],
                                contacts: .init(phone: "+37120000001", email: "a@example.lv", pushTokens: ["t1", "t2", "t3"]), updatedAt: Date(timeIntervalSince1970: 0))

    @Test("the named tokens go, by fingerprint; the rest of the profile stays; nothing named, nothing changed")
    func removes() throws {
        let now = Date()
        let cleaned = try #require(ContactCleanup.removing([ContactFingerprint.of("t1"), ContactFingerprint.of("t3")], from: profile, at: now))
        #expect(cleaned.contacts.pushTokens == ["t2"])
        #expect(cleaned.updatedAt == now)
        var same = cleaned
        same.contacts.pushTokens = profile.contacts.pushTokens
        same.updatedAt = profile.updatedAt
        #expect(same == profile, "nothing else changed")
        #expect(ContactCleanup.removing([ContactFingerprint.of("t9")], from: profile, at: now) == nil)
        #expect(ContactCleanup.removing([ContactFingerprint.of("+37120000001")], from: profile, at: now) == nil, "push tokens only")
        #expect(ContactCleanup.removing([], from: profile, at: now) == nil)
    }
}
