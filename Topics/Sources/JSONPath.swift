/// Renders JSON paths ("$.client.type", "$.items[0]") for violations.
enum JSONPath {
    static let root = "$"

    static func appending(_ path: String, key: String) -> String {
        let plain = !key.isEmpty && key.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_")
        }
        return plain ? "\(path).\(key)" : "\(path)[\"\(key)\"]"
    }

    static func appending(_ path: String, index: Int) -> String {
        "\(path)[\(index)]"
    }

    static func render(_ codingPath: [any CodingKey]) -> String {
        codingPath.reduce(root) { path, key in
            if let index = key.intValue, key.stringValue == "Index \(index)" || key.stringValue == String(index) {
                return appending(path, index: index)
            }
            return appending(path, key: key.stringValue)
        }
    }
}
