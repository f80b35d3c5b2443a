/// How both ends of a lookup's round trip use the broker: the client
/// producing requests and reading replies, the service reading requests and
/// producing replies. One place, so the two sides stay tuned together.
public enum LookupRoundTrip {
    /// How long the broker may hold a fetch of requests or replies with nothing new (`fetch.wait.max.ms`):
    /// a caller is waiting, so not long.
    public static let maxFetchWaitMilliseconds = 10

    /// How long a request or a reply may wait to share a batch (`linger.ms`). Measured on the local
    /// broker (`hub bench lookup`): at 0 every lookup cost the broker a request and a stored batch of
    /// its own each way, and under load the broker's work per fetch grows with the batches a
    /// partition holds; 5 ms raised full-load throughput from 1,600-1,900 to 2,300-3,000 lookups/s and
    /// cut the half-load p99 from 310-355 ms to 107-136 ms, for 5-7 ms more at 50 lookups/s.
    public static let lingerMilliseconds = 5
}
