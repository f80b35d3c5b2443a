import Dispatch

/// Runs librdkafka's blocking calls (flush, commit, close, admin round trips)
/// on dedicated Dispatch threads, never on Swift's cooperative pool, so a
/// slow broker cannot starve the tasks that keep the service alive.
enum BlockingCall {
    static let queue = DispatchQueue(label: "hub.kafka.blocking", attributes: .concurrent)

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws(KafkaError) -> T) async throws(KafkaError) -> T {
        let result: Result<T, KafkaError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(KafkaError) { continuation.resume(returning: .success(try work())) }
                catch { continuation.resume(returning: .failure(error)) }
            }
        }
        return try result.get()
    }
}

extension BlockingCall {
    static func runUnthrowing(_ work: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                work()
                continuation.resume()
            }
        }
    }
}
