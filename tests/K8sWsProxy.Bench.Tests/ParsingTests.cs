using System.Text;
using K8sWsProxy.Bench.Harness;
using K8sWsProxy.Bench.Load;
using K8sWsProxy.Bench.Stats;
using K8sWsProxy.Tunnel;

namespace K8sWsProxy.Bench.Tests;

public class ParsingTests
{
    [Fact]
    public void VmRssIsReadInBytes()
    {
        var status = "Name:\tnginx\nVmPeak:\t  20000 kB\nVmRSS:\t   12345 kB\nRssAnon:\t 100 kB\n";
        Assert.Equal(12345L * 1024, ProcFs.ParseVmRssBytes(status));
        Assert.Null(ProcFs.ParseVmRssBytes("Name:\tkthreadd\n"));
    }

    [Fact]
    public void ParentPidAndCpuTicksSurviveSpacesAndParenthesesInTheCommand()
    {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        var stat = "4242 (.NET TP (Worker)) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 31 0 0 20 0 12 0";
        Assert.Equal(17, ProcFs.ParseParentPid(stat));
        Assert.Equal(281, ProcFs.ParseCpuTicks(stat));
        Assert.Null(ProcFs.ParseParentPid("garbage"));
    }

    [Fact]
    public void OwnProcessTreeHasItselfAndReadsMemory()
    {
        var self = Environment.ProcessId;
        Assert.Equal(self, ProcFs.Tree(self)[0]);
        Assert.True(ProcFs.TreeRssBytes(self) > 1024 * 1024);
        Assert.True(ProcFs.TreeCpuSeconds(self) >= 0);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    [InlineData(125)]
    [InlineData(126)]
    [InlineData(16 * 1024)]
    [InlineData(70_000)]
    public void ClientFramesRoundTripThroughTheHeaderParser(int length)
    {
        var payload = new byte[length];
        new Random(length).NextBytes(payload);
        var frame = WsFrame.EncodeClient(Opcode.Binary, payload, 0xA1B2C3D4);
        Assert.True(WsFrame.TryParseHeader(frame, out var header));
        Assert.True(header.Fin);
        Assert.True(header.Masked);
        Assert.Equal(Opcode.Binary, header.Opcode);
        Assert.Equal(length, header.PayloadLength);
        Assert.Equal(frame.Length - length, header.HeaderLength);
        var mask = frame.AsSpan(header.HeaderLength - 4, 4).ToArray();
        var unmasked = frame.AsSpan(header.HeaderLength).ToArray().Select((b, i) => (byte)(b ^ mask[i & 3])).ToArray();
        Assert.Equal(payload, unmasked);
    }

    [Fact]
    public void TextLoadFramesAreTextOfLettersSoRulesSeeThem()
    {
        var frame = Scenarios.Frame(16 * 1024, text: true);
        Assert.True(WsFrame.TryParseHeader(frame, out var header));
        Assert.Equal((Opcode.Text, 16 * 1024L), (header.Opcode, header.PayloadLength));
        var mask = frame.AsSpan(header.HeaderLength - 4, 4).ToArray();
        Assert.All(frame.AsSpan(header.HeaderLength).ToArray().Select((b, i) => (byte)(b ^ mask[i & 3])), b => Assert.InRange(b, (byte)'a', (byte)'z'));
        Assert.True(WsFrame.TryParseHeader(Scenarios.Frame(64), out var binary));
        Assert.Equal(Opcode.Binary, binary.Opcode);
    }

    [Fact]
    public void HeaderParserAsksForMoreBytesWhenCut()
    {
        var frame = WsFrame.EncodeClient(Opcode.Text, new byte[300], 1);
        for (var cut = 0; cut < 8; cut++)
        {
            Assert.False(WsFrame.TryParseHeader(frame.AsSpan(0, cut), out _));
        }

        Assert.True(WsFrame.TryParseHeader(frame.AsSpan(0, 8), out var h));
        Assert.Equal(300, h.PayloadLength);
    }

    [Fact]
    public void ServerFramesAreUnmaskedAndMayBeFragments()
    {
        byte[] fragment = [0x02, 0x7E, 0x40, 0x00];
        Assert.True(WsFrame.TryParseHeader(fragment, out var h));
        Assert.False(h.Fin);
        Assert.False(h.Masked);
        Assert.Equal(16384, h.PayloadLength);
        Assert.Equal(4, h.HeaderLength);
        byte[] close = [0x88, 0x02, 0x03, 0xE8];
        Assert.True(WsFrame.TryParseHeader(close, out var c));
        Assert.Equal(Opcode.Close, c.Opcode);
    }

    [Fact]
    public void HandshakeResponseIsCheckedForStatusAndAccept()
    {
        // RFC 6455's own example key and accept value.
        const string key = "dGhlIHNhbXBsZSBub25jZQ==";
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WsFrame.AcceptFor(key));
        var ok = Encoding.ASCII.GetBytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
        Assert.Equal(ok.Length, WsFrame.EndOfHead(ok));
        Assert.Null(WsFrame.CheckHandshakeResponse(ok, key));
        Assert.Equal("status 503", WsFrame.CheckHandshakeResponse("HTTP/1.1 503 Service Unavailable\r\n\r\n"u8, key));
        Assert.Equal("wrong Sec-WebSocket-Accept", WsFrame.CheckHandshakeResponse("HTTP/1.1 101 x\r\nSec-WebSocket-Accept: nope\r\n\r\n"u8, key));
        Assert.Equal(-1, WsFrame.EndOfHead("HTTP/1.1 101 x\r\n"u8));
    }

    [Fact]
    public void HandshakeRequestIsAnUpgrade()
    {
        var text = Encoding.ASCII.GetString(WsFrame.HandshakeRequest("127.0.0.1:8080", "/echo", "k"));
        Assert.StartsWith("GET /echo HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n", text, StringComparison.Ordinal);
        Assert.Contains("Upgrade: websocket\r\n", text, StringComparison.Ordinal);
        Assert.EndsWith("Sec-WebSocket-Version: 13\r\n\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void OptionsParseAndRefuseUnknownNames()
    {
        var o = BenchOptions.Parse(["--quick", "--systems", "nginx,sidecar", "--scenarios", "idle", "--rounds", "5", "--out", "/tmp/x"]);
        Assert.True(o.Quick);
        Assert.Equal(["nginx", "sidecar"], o.Systems);
        Assert.Contains("idle", o.Scenarios);
        Assert.Equal(["messages", "tracking"], BenchOptions.Parse(["--scenarios", "messages,tracking"]).Scenarios.Order());
        Assert.Equal(5, o.Rounds);
        Assert.Equal("/tmp/x", o.Out);
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--systems", "envoy"]));
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--bogus"]));
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--rounds"]));
        Assert.Equal(["--frame-tracking", "off"], BenchOptions.Parse(["--sidecar-arg", "--frame-tracking", "--sidecar-arg", "off"]).SidecarArgs);
        Assert.Equal(["A=1", "B=2"], BenchOptions.Parse(["--sidecar-env", "A=1", "--sidecar-env", "B=2"]).SidecarEnv);
    }

    [Fact]
    public void DiagnosticsMessagesCarryTheIpcHeader()
    {
        var m = DiagnosticsIpc.CollectTracing2Request(0x800001, 4);
        Assert.Equal("DOTNET_IPC_V1\0", Encoding.ASCII.GetString(m, 0, 14));
        Assert.Equal(m.Length, BitConverter.ToUInt16(m, 14));
        Assert.Equal(0x02, m[16]);
        Assert.Equal(0x03, m[17]);
        Assert.Equal(0x800001UL, BitConverter.ToUInt64(m, 20 + 4 + 4 + 1 + 4));
    }
}
