import Testing

/// Mutates the seeds `rounds` times (one to three bytes removed, inserted or replaced from a JSON-ish
/// alphabet) and expects that whenever the hand-written reader (`fast`) answers, `JSONDecoder` (`slow`)
/// answers the same. Returns how often the reader answered, so a caller can check the property is not vacuous.
func mutatedReadsAgree<Value: Equatable>(seeds: [[UInt8]], seed: UInt64, rounds: Int = 6_000, fast: ([UInt8]) -> Value?,
                                         slow: ([UInt8]) -> Value?, sourceLocation: SourceLocation = #_sourceLocation) -> Int {
    var random = SplitMix64(seed: seed)
    let alphabet = Array(#"{}[]:,"\ u0123456789abcdefnlrt-+.ZāT"#.utf8)
    var answered = 0
    for round in 0 ..< rounds {
        var bytes = seeds[round % seeds.count]
        for _ in 0 ... Int(random.next() % 3) {
            let at = Int(random.next() % UInt64(bytes.count))
            switch random.next() % 3 {
            case 0: bytes.remove(at: at)
            case 1: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: at)
            default: bytes[at] = alphabet[Int(random.next() % UInt64(alphabet.count))]
            }
            if bytes.isEmpty { bytes = [0x20] }
        }
        guard let read = fast(bytes) else { continue }
        answered += 1
        #expect(read == slow(bytes), "\(String(decoding: bytes, as: UTF8.self))", sourceLocation: sourceLocation)
    }
    return answered
}
