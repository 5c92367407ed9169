using K8sWsProxy.Sidecar.Http1;
using K8sWsProxy.Sidecar.Routing;

namespace K8sWsProxy.Sidecar.Tests;

/// <summary>
/// The one matcher every listener uses, as a table: which route a request reaches. The precedence is the one YARP's
/// router gave these routes before (Exact, then longer Prefix, then RegularExpression; exact host, then wildcard,
/// then any; more header conditions first; then document order).
/// </summary>
public sealed class RouteTableTests
{
    private static readonly RouteTable Table = Build("""
        routes:
          - {name: any-root, match: {path: /}, upstream: {endpoints: [{url: "ws://127.0.0.1:1"}]}}
          - {name: any-ws, match: {path: /ws}, upstream: {endpoints: [{url: "ws://127.0.0.1:1"}]}}
          - {name: any-ws-deep, match: {path: /ws/a/b/}, upstream: {endpoints: [{url: "ws://127.0.0.1:1"}]}}
          - {name: exact, match: {path: /ws/exact, pathType: Exact}, upstream: {endpoints: [{url: "ws://127.0.0.1:1"}]}}
          - {name: chat-ws, match: {hosts: [chat.example.com], path: /ws}, upstream: {endpoints: [{url: "ws://127.0.0.1:1"}]}}
          - {name: wild-ws, match: {hosts: ["*.example.com"], path: /ws}, upstream: {endpoints: [{url: "ws://127.0.0.1:1"}]}}
          - {name: deeper-wild-ws, match: {hosts: ["*.eu.example.com"], path: /ws}, upstream: {endpoints: [{url: "ws://127.0.0.1:1"}]}}
          - {name: eu-ws, match: {path: /ws, headers: [{name: x-region, value: eu-west}]}, upstream: {endpoints: [{url: "ws://127.0.0.1:1"}]}}
          - {name: rooms, match: {path: "/rooms/[0-9]+", pathType: RegularExpression}, upstream: {endpoints: [{url: "ws://127.0.0.1:1"}]}}
          - {name: only-chat, match: {hosts: [chat.example.com], path: /only-chat}, upstream: {endpoints: [{url: "ws://127.0.0.1:1"}]}}
        """);

    public static TheoryData<string, string, string?, string?> Cases => new()
    {
        // host, path, x-region header, expected route
        { "localhost:8080", "/", null, "any-root" },
        { "localhost", "/anything/else", null, "any-root" },
        { "localhost", "/ws", null, "any-ws" },
        { "localhost", "/ws/", null, "any-ws" },
        { "localhost", "/ws/x", null, "any-ws" },
        { "localhost", "/wsx", null, "any-root" },
        { "localhost", "/WS/X", null, "any-ws" },
        { "localhost", "/ws/a/b", null, "any-ws-deep" },
        { "localhost", "/ws/a/b/c", null, "any-ws-deep" },
        { "localhost", "/ws/a/bc", null, "any-ws" },
        { "localhost", "/ws/exact", null, "exact" },
        { "localhost", "/ws/exact/", null, "exact" },
        { "localhost", "/ws/exact/more", null, "any-ws" },
        { "chat.example.com", "/ws/exact", null, "exact" },
        { "chat.example.com", "/ws", null, "chat-ws" },
        { "CHAT.example.com:443", "/ws", null, "chat-ws" },
        { "other.example.com", "/ws", null, "wild-ws" },
        { "a.b.example.com", "/ws", null, "wild-ws" },
        { "x.eu.example.com", "/ws", null, "deeper-wild-ws" },
        { "example.com", "/ws", null, "any-ws" },
        { "localhost", "/ws", "EU-WEST", "eu-ws" },
        { "localhost", "/ws", "us-east", "any-ws" },
        { "chat.example.com", "/ws", "eu-west", "chat-ws" },
        // Any prefix, even "/", outranks every regular expression.
        { "localhost", "/rooms/42", null, "any-root" },
        { "localhost", "/rooms", null, "any-root" },
        { "localhost", "/only-chat", null, "any-root" },
        { "chat.example.com", "/only-chat", null, "only-chat" },
        { "[::1]:8080", "/ws", null, "any-ws" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_request_reaches_the_route_of_highest_precedence(string host, string path, string? region, string? expected)
    {
        var route = Table.Match(host, path, name => name == "x-region" && region is not null ? [region] : []);
        Assert.Equal(expected, route?.Config.Name);
    }

    [Fact]
    public void Regular_expressions_match_whole_paths_in_document_order_and_nothing_matches_the_rest()
    {
        var table = Build("""
            routes:
              - {name: only, match: {path: /only}, upstream: {endpoints: [{url: "ws://127.0.0.1:1"}]}}
              - {name: rooms, match: {path: "/rooms/[0-9]+", pathType: RegularExpression}, upstream: {endpoints: [{url: "ws://127.0.0.1:1"}]}}
              - {name: rooms-later, match: {path: "/rooms/.*", pathType: RegularExpression}, upstream: {endpoints: [{url: "ws://127.0.0.1:1"}]}}
            """);
        Assert.Equal("rooms", table.Match("localhost", "/rooms/42", _ => [])?.Config.Name);
        Assert.Equal("rooms-later", table.Match("localhost", "/rooms/42x", _ => [])?.Config.Name);
        Assert.Null(table.Match("localhost", "/other", _ => []));
        Assert.Null(RouteTable.Empty.Match("localhost", "/", _ => []));
    }

    [Theory]
    [InlineData("/a/./b/../c", "/a/c", "/a/c")]
    [InlineData("/a/%2F/b", "/a/%2F/b", "/a/%2F/b")]
    [InlineData("/caf%C3%A9?x=1", "/caf%C3%A9", "/café")]
    [InlineData("/../../etc", "/etc", "/etc")]
    public void Targets_are_normalised_before_matching(string target, string path, string decoded)
    {
        Assert.True(RequestTarget.TryParse(target, out var parsed));
        Assert.Equal((path, decoded), (parsed.Path, parsed.DecodedPath));
    }

    [Theory]
    [InlineData("relative")]
    [InlineData("/bad%zz")]
    [InlineData("/bad%C3")]
    [InlineData("/frag#x")]
    public void Targets_that_are_not_origin_form_paths_are_refused(string target) =>
        Assert.False(RequestTarget.TryParse(target, out _));

    private static RouteTable Build(string yaml) => RouteTable.Build(TestSidecar.Runtimes(yaml));
}
