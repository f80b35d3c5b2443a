import Testing
import Topics

@Suite("SHA-256, HMAC and client pseudonyms")
struct SHA256Tests {
    @Test("FIPS 180-4 and RFC 4231 test vectors")
    func vectors() {
        #expect(Hex.string(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.string(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Hex.string(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(Hex.string(SHA256.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // RFC 4231 case 6: a key longer than the block is hashed first.
        #expect(Hex.string(SHA256.hmac(key: [UInt8](repeating: 0xaa, count: 131),
                                       message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test("a pseudonym is stable, depends on the secret and hides the code")
    func pseudonyms() {
        let person = PartyReference(type: .person, id: "010190-10000")
        let key = ClientPseudonym.key(for: person, secret: "s1")
        #expect(key == ClientPseudonym.key(for: person, secret: "s1"))
        #expect(key != ClientPseudonym.key(for: person, secret: "s2"))
        #expect(key != ClientPseudonym.key(for: PartyReference(type: .company, id: "010190-10000"), secret: "s1"))
        #expect(key.hasPrefix("c:") && key.count == 34 && !key.contains("010190"))
    }
}
