import Foundation
import HTTPServer
import Testing

@Suite("Router, headers, responses")
struct HTTPRouterAndTypesTests {
    private var router: HTTPRouter {
        var router = HTTPRouter()
        router.register("GET", "/health") { _ in .text("ok") }
        router.register("POST", "/health") { _ in .text("posted", status: 201) }
        router.register("DELETE", "/items") { _ in HTTPResponse(status: 204) }
        return router
    }

    @Test func dispatchesByMethodAndExactPath() async {
        let get = await router.handle(HTTPRequest(method: "GET", target: "/health?verbose=1"))
        #expect(get.status == 200)
        #expect(get.body == Data("ok".utf8))
        let post = await router.handle(HTTPRequest(method: "POST", target: "/health"))
        #expect(post.status == 201)
    }

    @Test func unknownPathIs404() async {
        #expect(await router.handle(HTTPRequest(method: "GET", target: "/health/")).status == 404)
        #expect(await router.handle(HTTPRequest(method: "GET", target: "/nope")).status == 404)
    }

    @Test func wrongMethodIs405WithAllow() async {
        let response = await router.handle(HTTPRequest(method: "PUT", target: "/health"))
        #expect(response.status == 405)
        #expect(response.headers["Allow"] == "GET, HEAD, POST")
        let items = await router.handle(HTTPRequest(method: "GET", target: "/items"))
        #expect(items.status == 405)
        #expect(items.headers["allow"] == "DELETE")
    }

    @Test func blockingRoutesAnswerImmediatelyAndAsyncOnesWait() async {
        var router = self.router
        router.registerBlocking("GET", "/now") { request in .text("now \(request.method)") }
        router.registerBlocking("PUT", "/items") { _ in HTTPResponse(status: 204) }
        #expect(router.handleImmediately(HTTPRequest(method: "GET", target: "/now"))?.body == Data("now GET".utf8))
        #expect(router.handleImmediately(HTTPRequest(method: "HEAD", target: "/now"))?.body == Data("now HEAD".utf8))
        #expect(router.handleImmediately(HTTPRequest(method: "GET", target: "/health")) == nil)
        #expect(router.handleImmediately(HTTPRequest(method: "GET", target: "/nope"))?.status == 404)
        let wrong = router.handleImmediately(HTTPRequest(method: "GET", target: "/items"))
        #expect(wrong?.status == 405)
        #expect(wrong?.headers["Allow"] == "DELETE, PUT")
        #expect(await router.handle(HTTPRequest(method: "GET", target: "/now")).body == Data("now GET".utf8))
        #expect(await router.handle(HTTPRequest(method: "GET", target: "/health")).body == Data("ok".utf8))
    }

    @Test func headIsServedByGet() async {
        let response = await router.handle(HTTPRequest(method: "HEAD", target: "/health"))
        #expect(response.status == 200)
        #expect(response.body == Data("ok".utf8))  // the server, not the router, strips the body
    }

    @Test func headersAreCaseInsensitiveOrderedAndKeepDuplicates() {
        var headers: HTTPHeaders = ["Set-Cookie": "a=1", "Content-Type": "text/plain"]
        headers.add(name: "set-cookie", value: "b=2")
        #expect(headers["SET-COOKIE"] == "a=1")
        #expect(headers.values(for: "Set-Cookie") == ["a=1", "b=2"])
        #expect(headers.map(\.name) == ["Set-Cookie", "Content-Type", "set-cookie"])
        headers.replaceOrAdd(name: "SET-COOKIE", value: "c=3")
        #expect(headers.values(for: "set-cookie") == ["c=3"])
        #expect(headers.count == 2)
        headers.remove(name: "content-type")
        #expect(!headers.contains("Content-Type"))
        #expect(HTTPHeaders([("A", "1")]) == HTTPHeaders([("a", "1")]))
        #expect(HTTPHeaders([("A", "1")]) != HTTPHeaders([("A", "2")]))
    }

    @Test func responseConveniences() {
        let text = HTTPResponse.text("hi", status: 503)
        #expect(text.status == 503)
        #expect(text.reason == "Service Unavailable")
        #expect(text.headers["content-type"] == "text/plain; charset=utf-8")
        let json = HTTPResponse.json(#"{"ok":true}"#)
        #expect(json.status == 200)
        #expect(json.headers["Content-Type"] == "application/json")
        #expect(json.body == Data(#"{"ok":true}"#.utf8))
        #expect(HTTPResponse.json(Data([1, 2]), status: 202).body == Data([1, 2]))
        #expect(HTTPResponse.reasonPhrase(for: 431) == "Request Header Fields Too Large")
    }

    @Test func queryItemsKeepOrderAndDuplicates() {
        let request = HTTPRequest(method: "GET", target: "/q?x=1&x=2&flag&e=a%20b")
        #expect(request.queryItems.map(\.name) == ["x", "x", "flag", "e"])
        #expect(request.queryItems.map(\.value) == ["1", "2", "", "a b"])
        #expect(HTTPRequest(method: "GET", target: "/plain").query == nil)
    }
}
