using K8sWsProxy.Contracts.Config;

namespace K8sWsProxy.Sidecar.Tests;

/// <summary>The document loader and validator: every refusal names the field, as a user reading the error needs.</summary>
public sealed class ConfigDocumentTests
{
    private const string Valid = """
        routes:
          - name: chat
            namespace: demo
            match: {hosts: [chat.example.com], path: /ws, pathType: Prefix, headers: [{name: x-region, value: eu}]}
            upstream:
              endpoints: [{url: "ws://127.0.0.1:8080/socket"}, {url: "wss://backend:8443/socket", weight: 2}]
              loadBalancing: LeastConnections
              sessionAffinity: {header: x-user-id}
              retry: {attempts: 3, initialInterval: 500ms, growth: 2}
              onLost: Reconnect
              failover: {closeCodes: [1001, 1012], notify: true, bufferMessages: 10, bufferBytes: 65536, onBufferFull: Close, replayFirstMessage: true}
            messages:
              maxBytes: 4096
              rules:
                - {name: snot, match: {exact: snot}, action: Reply, text: badger}
                - {name: noise, direction: Both, match: {prefix: "#"}, action: Drop}
                - {name: mask, direction: ToClient, match: {regex: '\d{4}-\d{4}'}, action: Rewrite, text: "****"}
                - {name: kick, match: {json: {field: data.kind, value: ban}}, action: Close}
            websocket: {subprotocols: [mqtt], allowedOrigins: ["https://chat.example.com"], maxMessageBytes: 1048576, keepAliveInterval: 30s}
            headers: {set: {x-forwarded-by: k8s-ws-proxy}, remove: [cookie]}
            timeouts: {connect: 5s, handshake: 5s, idle: 10m, drain: 30s}
            limits: {maxConnections: 10000}
        """;

    [Fact]
    public void Yaml_and_json_give_the_same_document_and_revision()
    {
        var yaml = ConfigDocumentLoader.Parse(Valid, null);
        Assert.True(yaml.Ok, string.Join("\n", yaml.Errors));
        var json = System.Text.Json.JsonSerializer.Serialize(yaml.Document! with { Revision = null }, ConfigJson.Options);
        var fromJson = ConfigDocumentLoader.Parse(json, null);
        Assert.True(fromJson.Ok, string.Join("\n", fromJson.Errors));
        Assert.Equal(yaml.Document!.Revision, fromJson.Document!.Revision);
        Assert.StartsWith("sha256:", yaml.Document.Revision, StringComparison.Ordinal);
        var route = yaml.Document.Routes[0];
        Assert.Equal(LoadBalancing.LeastConnections, route.Upstream.LoadBalancing);
        Assert.Equal(2, route.Upstream.Endpoints[1].Weight);
        Assert.Equal(TimeSpan.FromMinutes(10), Duration.Parse(route.Timeouts.Idle));
        Assert.Equal((UpstreamLost.Reconnect, BufferOverflow.Close), (route.Upstream.OnLost, route.Upstream.Failover!.OnBufferFull));
        Assert.Equal([1001, 1012], route.Upstream.Failover!.CloseCodes);
        Assert.Equal(["snot", "noise", "mask", "kick"], route.Messages!.Rules.Select(r => r.Name));
        Assert.Equal((RuleAction.Close, 1008, "ban"), (route.Messages.Rules[3].Action, route.Messages.Rules[3].CloseCode, route.Messages.Rules[3].Match.Json!.Value));
    }

    [Theory]
    [InlineData("routes: [{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, bogus: 1}]", "routes[0].bogus", "unknown field")]
    [InlineData("routes: [{name: a, upstream: {endpoints: [{url: 'ws://x', colour: red}]}}]", "routes[0].upstream.endpoints[0].colour", "unknown field")]
    [InlineData("routes: [{name: a, upstream: {endpoints: [{url: 'http://x'}]}}]", "routes[0].upstream.endpoints[0].url", "scheme must be ws or wss")]
    [InlineData("routes: [{name: a, upstream: {endpoints: [{url: 'not a url'}]}}]", "routes[0].upstream.endpoints[0].url", "absolute URL")]
    [InlineData("routes: [{name: a, upstream: {endpoints: []}}]", "routes[0].upstream.endpoints", "at least one endpoint")]
    [InlineData("routes: [{name: a, match: {path: '([a-z', pathType: RegularExpression}, upstream: {endpoints: [{url: 'ws://x'}]}}]", "routes[0].match.path", "not a valid regular expression")]
    [InlineData("routes: [{name: a, match: {pathType: Sideways}, upstream: {endpoints: [{url: 'ws://x'}]}}]", "routes[0].match.pathType", "invalid value")]
    [InlineData("routes: [{name: a, timeouts: {connect: 5 seconds}, upstream: {endpoints: [{url: 'ws://x'}]}}]", "routes[0].timeouts.connect", "not a duration")]
    [InlineData("routes: [{name: a, upstream: {endpoints: [{url: 'ws://x', weight: 0}]}}]", "routes[0].upstream.endpoints[0].weight", "from 1 to 10000")]
    [InlineData("routes: [{name: a, websocket: {allowedOrigins: ['https://x/path']}, upstream: {endpoints: [{url: 'ws://x'}]}}]", "routes[0].websocket.allowedOrigins[0]", "no path")]
    [InlineData("routes: [{name: a, upstream: {endpoints: [{url: 'ws://x'}], sessionAffinity: {header: a, cookie: b}}}]", "routes[0].upstream.sessionAffinity", "exactly one")]
    [InlineData("routes: [{name: a, tls: {certificatePem: 'junk', privateKeyPem: 'junk'}, upstream: {endpoints: [{url: 'ws://x'}]}}]", "routes[0].tls.certificatePem", "the certificate does not load")]
    [InlineData("routes: [{name: Bad_Name, upstream: {endpoints: [{url: 'ws://x'}]}}]", "routes[0].name", "DNS name")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}], failover: {closeCodes: [1006]}, onLost: Reconnect}}", "routes[0].upstream.failover.closeCodes[0]", "not 1005, 1006 or 1015 (never sent in a close frame)")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}], failover: {closeCodes: [5000]}, onLost: Reconnect}}", "routes[0].upstream.failover.closeCodes[0]", "must be from 1000 to 4999")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}], failover: {bufferMessages: 10001}, onLost: Reconnect}}", "routes[0].upstream.failover.bufferMessages", "must be from 0 to 10000")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}], failover: {bufferBytes: 67108865}, onLost: Reconnect}}", "routes[0].upstream.failover.bufferBytes", "must be from 0 to 67108864 (64 MiB)")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}], failover: {notify: true, replayFirstMessage: true}}}", "routes[0].upstream.failover", "notify, replayFirstMessage: only with onLost: Reconnect")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}], onLost: Sometimes}}", "routes[0].upstream.onLost", "invalid value")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, messages: {maxBytes: 0}}", "routes[0].messages.maxBytes", "must be from 1 to 16777216")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, messages: {maxBytes: 16777217}}", "routes[0].messages.maxBytes", "must be from 1 to 16777216")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, messages: {rules: [{name: Snot_1, match: {exact: snot}, text: badger}]}}", "routes[0].messages.rules[0].name", "must be a DNS label")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, messages: {rules: [{name: r, match: {exact: a}, text: b}, {name: r, match: {exact: c}, text: d}]}}", "routes[0].messages.rules[1].name", "duplicate rule 'r' (also rules[0])")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, messages: {rules: [{name: r, match: {}, text: b}]}}", "routes[0].messages.rules[0].match", "set exactly one of exact, prefix, regex or json")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, messages: {rules: [{name: r, match: {exact: a, regex: b}, text: b}]}}", "routes[0].messages.rules[0].match", "set exactly one of exact, prefix, regex or json, not exact and regex")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, messages: {rules: [{name: r, match: {exact: ''}, text: b}]}}", "routes[0].messages.rules[0].match.exact", "must not be empty")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, messages: {rules: [{name: r, match: {prefix: ''}, text: b}]}}", "routes[0].messages.rules[0].match.prefix", "must not be empty")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, messages: {rules: [{name: r, match: {regex: '(a)\\1'}, text: b}]}}", "routes[0].messages.rules[0].match.regex", "rules run without backtracking: RegexOptions.NonBacktracking is not supported in conjunction with expressions containing: 'backreference")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, messages: {rules: [{name: r, match: {regex: '([a-'}, text: b}]}}", "routes[0].messages.rules[0].match.regex", "not a valid regular expression: Invalid pattern '([a-'")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, messages: {rules: [{name: r, match: {json: {field: data..kind, value: x}}, text: b}]}}", "routes[0].messages.rules[0].match.json.field", "with no empty name")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, messages: {rules: [{name: r, direction: Sideways, match: {exact: a}, text: b}]}}", "routes[0].messages.rules[0].direction", "invalid value")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, messages: {rules: [{name: r, match: {exact: a}, action: Reply}]}}", "routes[0].messages.rules[0].text", "required for action Reply")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, messages: {maxBytes: 4, rules: [{name: r, match: {exact: a}, action: Rewrite, text: 'héllo'}]}}", "routes[0].messages.rules[0].text", "6 bytes in UTF-8, more than messages.maxBytes (4)")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, messages: {rules: [{name: r, match: {exact: a}, action: Drop, text: b}]}}", "routes[0].messages.rules[0].text", "only with action Reply or Rewrite, not Drop")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, messages: {rules: [{name: r, match: {exact: a}, action: Close, closeCode: 1001}]}}", "routes[0].messages.rules[0].closeCode", "must be 1000, 1008 (policy violation) or an application's code, 3000 to 4999")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, messages: {rules: [{name: r, match: {exact: a}, text: b, closeCode: 4000}]}}", "routes[0].messages.rules[0].closeCode", "only with action Close, not Reply")]
    [InlineData("{name: a, upstream: {endpoints: [{url: 'ws://x'}]}, messages: {rules: [{name: r, match: {exact: a}, text: b, closeReason: bye}]}}", "routes[0].messages.rules[0].closeReason", "only with action Close, not Reply")]
    public void Invalid_documents_name_the_field(string yaml, string field, string message)
    {
        var result = ConfigDocumentLoader.Parse(yaml.StartsWith('{') ? $"routes: [{yaml}]" : yaml, null);
        Assert.False(result.Ok);
        Assert.Contains(result.Errors, e => e.Path == field && e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void A_certificate_and_a_key_that_are_not_a_pair_are_called_that()
    {
        var authority = new TestCertificates();
        var (a, b) = (authority.Issue("a", "a.example.com"), authority.Issue("b", "b.example.com"));
        static string Yaml(string certificate, string key) => $"routes: [{{name: a, tls: {{certificatePem: {System.Text.Json.JsonSerializer.Serialize(certificate)}, privateKeyPem: {System.Text.Json.JsonSerializer.Serialize(key)}}}, upstream: {{endpoints: [{{url: 'ws://x'}}]}}}}]";

        var mismatched = Assert.Single(ConfigDocumentLoader.Parse(Yaml(a.CertificatePem, b.KeyPem), null).Errors);
        Assert.Equal("routes[0].tls.certificatePem", mismatched.Path);
        Assert.StartsWith("certificate and key do not load together: ", mismatched.Message, StringComparison.Ordinal);
        Assert.Equal("the private key is not PEM", Assert.Single(ConfigDocumentLoader.Parse(Yaml(a.CertificatePem, "junk"), null).Errors).Message);
        Assert.True(ConfigDocumentLoader.Parse(Yaml(a.CertificatePem, a.KeyPem), null).Ok);
    }

    [Theory]
    [InlineData(64, true)]
    [InlineData(65, false)]
    public void A_route_has_at_most_the_64_endpoints_a_handshake_can_keep_track_of(int count, bool ok)
    {
        var endpoints = string.Join(", ", Enumerable.Range(0, count).Select(i => $"{{url: 'ws://e{i}'}}"));
        var result = ConfigDocumentLoader.Parse($"routes: [{{name: a, upstream: {{endpoints: [{endpoints}]}}}}]", null);
        Assert.Equal(ok, result.Ok);
        Assert.Equal(ok ? [] : ["routes[0].upstream.endpoints: at most 64 endpoints, not 65"], result.Errors.Select(e => $"{e.Path}: {e.Message}"));
    }

    [Theory]
    [InlineData(32, true)]
    [InlineData(33, false)]
    public void A_route_has_at_most_32_message_rules(int count, bool ok)
    {
        var rules = string.Join(", ", Enumerable.Range(0, count).Select(i => $"{{name: r{i}, match: {{exact: m{i}}}, action: Drop}}"));
        var result = ConfigDocumentLoader.Parse($"routes: [{{name: a, upstream: {{endpoints: [{{url: 'ws://x'}}]}}, messages: {{rules: [{rules}]}}}}]", null);
        Assert.Equal(ok ? [] : ["routes[0].messages.rules: at most 32 rules, not 33"], result.Errors.Select(e => $"{e.Path}: {e.Message}"));
    }

    [Theory]
    [InlineData(61, true)] // 122 bytes and an 'x': 123
    [InlineData(62, false)] // 124 bytes and an 'x': 125
    public void A_close_reason_is_counted_in_utf8_bytes_as_a_close_frame_holds_it(int accents, bool ok)
    {
        var reason = new string('é', accents) + "x";
        var result = ConfigDocumentLoader.Parse($"routes: [{{name: a, upstream: {{endpoints: [{{url: 'ws://x'}}]}}, messages: {{rules: [{{name: r, match: {{exact: a}}, action: Close, closeCode: 4000, closeReason: '{reason}'}}]}}}}]", null);
        Assert.Equal(ok ? [] : ["routes[0].messages.rules[0].closeReason: at most 123 bytes in UTF-8 (a close frame's limit), not 125"], result.Errors.Select(e => $"{e.Path}: {e.Message}"));
    }

    [Fact]
    public void Two_routes_on_the_same_host_and_path_are_refused()
    {
        var result = ConfigDocumentLoader.Parse("""
            routes:
              - {name: a, match: {hosts: [x.example.com], path: /ws}, upstream: {endpoints: [{url: 'ws://a'}]}}
              - {name: b, match: {hosts: [X.example.com], path: /ws}, upstream: {endpoints: [{url: 'ws://b'}]}}
              - {name: a, match: {path: /other}, upstream: {endpoints: [{url: 'ws://c'}]}}
            """, null);
        Assert.Contains(result.Errors, e => e.Path == "routes[1].match" && e.Message.Contains("routes[0]", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Path == "routes[2].name" && e.Message.Contains("duplicate route", StringComparison.Ordinal));
    }

    [Fact]
    public void Yaml_syntax_errors_and_duplicate_keys_give_the_line()
    {
        var broken = ConfigDocumentLoader.Parse("routes:\n  - name: a\n    name: b\n", null);
        Assert.Contains(broken.Errors, e => e.Message.Contains("line 3", StringComparison.Ordinal) && e.Message.Contains("duplicate key", StringComparison.OrdinalIgnoreCase));
        var syntax = ConfigDocumentLoader.Parse("routes: [\n  {name: a\n", null);
        Assert.False(syntax.Ok);
        Assert.Contains("not valid YAML or JSON", syntax.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Certificate_files_are_read_relative_to_the_document()
    {
        var dir = Directory.CreateTempSubdirectory("wsproxy-config-");
        try
        {
            var issued = new TestCertificates().Issue("chat", "chat.example.com");
            File.WriteAllText(Path.Combine(dir.FullName, "tls.crt"), issued.CertificatePem);
            File.WriteAllText(Path.Combine(dir.FullName, "tls.key"), issued.KeyPem);
            var file = Path.Combine(dir.FullName, "config.yaml");
            File.WriteAllText(file, "routes: [{name: a, tls: {certificateFile: tls.crt, privateKeyFile: tls.key}, upstream: {endpoints: [{url: 'ws://x'}]}}]");
            var result = ConfigDocumentLoader.LoadFile(file);
            Assert.True(result.Ok, string.Join("\n", result.Errors));
            Assert.Equal(issued.CertificatePem, result.Document!.Routes[0].Tls!.CertificatePem);
            Assert.Null(result.Document.Routes[0].Tls!.CertificateFile);

            File.WriteAllText(file, "routes: [{name: a, tls: {certificateFile: missing.crt, privateKeyFile: tls.key}, upstream: {endpoints: [{url: 'ws://x'}]}}]");
            Assert.Contains(ConfigDocumentLoader.LoadFile(file).Errors, e => e.Path == "routes[0].tls.certificateFile");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("0", 0)]
    public void Durations_parse_like_kubernetes(string text, int milliseconds)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("-1s")]
    [InlineData("5 s")]
    public void Bad_durations_are_refused(string text) => Assert.False(Duration.TryParse(text, out _));
}
