import Foundation
import GatewayHTTP
import Lookups
import Topics

/// The register API of docs/lookups.md (DAGR-style REST/JSON), spoken by the
/// real platform's adapter and by `hub sandbox dagr`: `GET /v1/persons?code=`,
/// `/v1/companies?regNumber=`, `/v1/addresses?code=|text=`,
/// `/v1/objects?dataset=&id=`; `200 {"asOf", "record": {…}}`, `404`, `5xx`;
/// and the change list, `GET /v1/changes?since=N&limit=M` → `{"changes": […]}`.
/// At most `connections` calls are in flight; more wait their turn.
public struct DAGRConnector: RegisterUpstream, RegisterChangeSource {
    public let baseURL: String
    public let apiKey: String?
    private let http: CurlHTTPClient

    public init(baseURL: String, apiKey: String? = nil, connections: Int = 16, timeout: Duration = .seconds(5)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        http = CurlHTTPClient(connections: connections, timeout: timeout)
    }

    private var headers: [(String, String)] { apiKey.map { [("Authorization", "Bearer \($0)")] } ?? [] }

    public func fetch(_ query: LookupQuery, within: Duration) async -> UpstreamAnswer {
        switch await http.perform(.init(url: baseURL + Self.path(for: query), headers: headers, timeout: within)) {
        case .failure(.timedOut): return .failed(code: "upstream_timeout")
        case .failure: return .failed(code: "upstream_unreachable")
        case .success(let answer):
            switch answer.status {
            case 200:
                guard let body = RecordBody.read(answer.body) else { return .failed(code: "upstream_bad_answer") }
                return .found(body.record, asOf: body.asOf.flatMap(RFC3339Timestamp.parse))
            case 404: return .notFound
            default: return .failed(code: "upstream_\(answer.status)")
            }
        }
    }

    public func changes(since: Int, limit: Int) async -> ChangesAnswer {
        switch await http.perform(.init(url: baseURL + "/v1/changes?since=\(since)&limit=\(limit)", headers: headers, timeout: .seconds(10))) {
        case .failure(.timedOut): return .failed(code: "upstream_timeout")
        case .failure: return .failed(code: "upstream_unreachable")
        case .success(let answer):
            guard answer.status == 200 else { return .failed(code: "upstream_\(answer.status)") }
            struct Body: Decodable { let changes: [UpstreamChange] }
            guard let body = try? JSONDecoder().decode(Body.self, from: Data(answer.body)) else { return .failed(code: "upstream_bad_answer") }
            return .changes(body.changes)
        }
    }

    static func path(for query: LookupQuery) -> String {
        let encode = QueryValue.encode
        let p = query.parameters
        switch query.type {
        case .personExists, .personStatus: return "/v1/persons?code=" + encode(p["personCode"] ?? "")
        case .companyStatus: return "/v1/companies?regNumber=" + encode(p["regNumber"] ?? "")
        case .addressValidate: return p["code"].map { "/v1/addresses?code=" + encode($0) } ?? "/v1/addresses?text=" + encode(p["text"] ?? "")
        case .objectGet: return "/v1/objects?dataset=" + encode(p["dataset"] ?? "") + "&id=" + encode(p["id"] ?? "")
        }
    }
}

/// A register record's answer, `{"asOf": "...", "record": {"field": "value", ...}}`: read by the scanner
/// in the common case (once per lookup), by `JSONDecoder` when the scanner is not sure.
struct RecordBody: Decodable {
    let asOf: String?
    let record: [String: String]

    static func read(_ body: [UInt8]) -> RecordBody? {
        let scanned: RecordBody? = body.withUnsafeBytes { bytes in
            var scanner = JSONScanner(bytes)
            var asOf: String??, record: [String: String]?
            let complete = scanner.object { scanner, key in
                switch key {
                case "asOf":
                    guard asOf == nil, let value = scanner.optional({ $0.string() }) else { return false }
                    asOf = value
                case "record":
                    guard record == nil, let value = scanner.stringMap() else { return false }
                    record = value
                default:
                    return false
                }
                return true
            }
            guard complete, scanner.atEnd(), let record else { return nil }
            return RecordBody(asOf: asOf ?? nil, record: record)
        }
        return scanned ?? (try? JSONDecoder().decode(RecordBody.self, from: Data(body)))
    }
}
