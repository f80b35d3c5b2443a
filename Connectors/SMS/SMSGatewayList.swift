import Foundation

/// The `channel.sms.gateways` setting: Kannel sendsms URLs, comma-separated,
/// each with its sendsms-user as the URL's user and password and optionally
/// `*WEIGHT`, e.g. `http://hub:s3cret@10.0.0.5:13013/cgi-bin/sendsms*3`.
/// Gateways are named `gw1`, `gw2`, … in order.
public struct SMSGatewayList: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public let name: String
        public let weight: Int
        /// The URL without user and password.
        public let sendURL: String
        public let username: String
        public let password: String
    }

    public let entries: [Entry]

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(parsing text: String) throws(Invalid) {
        var entries: [Entry] = []
        for (index, raw) in text.split(separator: ",").enumerated() {
            var item = raw.trimmingCharacters(in: .whitespaces)
            var weight = 1
            if let star = item.lastIndex(of: "*") {
                guard let parsed = Int(item[item.index(after: star)...]), parsed >= 1 else {
                    throw Invalid(description: "gateway \(index + 1): the weight after * must be a whole number of at least 1")
                }
                weight = parsed
                item = String(item[..<star])
            }
            guard var components = URLComponents(string: item), let scheme = components.scheme, ["http", "https"].contains(scheme),
                  components.host != nil else {
                throw Invalid(description: "gateway \(index + 1): not an http(s) URL")
            }
            guard let user = components.user, let password = components.password else {
                throw Invalid(description: "gateway \(index + 1): the URL needs the sendsms-user as user:password@")
            }
            components.user = nil
            components.password = nil
            entries.append(Entry(name: "gw\(index + 1)", weight: weight, sendURL: components.string ?? item,
                                 username: user.removingPercentEncoding ?? user, password: password.removingPercentEncoding ?? password))
        }
        guard !entries.isEmpty else { throw Invalid(description: "no SMS gateway configured") }
        self.entries = entries
    }
}
