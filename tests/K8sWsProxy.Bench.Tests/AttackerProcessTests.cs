using System.Net;
using System.Net.Sockets;
using System.Text;
using K8sWsProxy.Bench.Load;
using K8sWsProxy.Bench.Report;

namespace K8sWsProxy.Bench.Tests;

/// <summary>The hostile scenario's attacker as the bench runs it: a process of its own, its outcome read back.</summary>
public class AttackerProcessTests
{
    [Fact]
    public void OptionsSurviveTheCommandLine()
    {
        var options = new AttackOptions
        {
            Attack = HostileReport.HalfOpen,
            Port = 4321,
            Path = "/chat",
            Count = 10_000,
            Time = TimeSpan.FromSeconds(30),
            ProxyPids = [12, 34],
        };

        var back = AttackOptions.Parse([.. options.ToArguments()]);

        Assert.Equal((options.Attack, options.Port, options.Path, options.Count, options.Time), (back.Attack, back.Port, back.Path, back.Count, back.Time));
        Assert.Equal(options.ProxyPids, back.ProxyPids);
    }

    [Fact]
    public void AnUnknownAttackIsRefusedWithTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => AttackOptions.Parse(["--kind", "teardrop", "--port", "80"]));

        Assert.Contains("--kind: one of ping-flood, fragment-flood, slowloris, half-open, oversized", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HalfOpenAttackerInItsOwnProcessReportsEveryCut()
    {
        // A stand-in proxy: answers every connection 408 a little after accepting it, as a head timeout would.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(128);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var answer = Encoding.ASCII.GetBytes("HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        var accepting = Task.Run(async () =>
        {
            var cuts = new List<Task>();
            try
            {
                while (true)
                {
                    var socket = await listener.AcceptAsync(stop.Token);
                    cuts.Add(Task.Run(async () =>
                    {
                        using (socket)
                        {
                            await Task.Delay(200, CancellationToken.None); // the "head timeout"
                            await socket.SendAsync(answer, SocketFlags.None);
                            socket.Shutdown(SocketShutdown.Both);
                        }
                    }, CancellationToken.None));
                }
            }
            catch (OperationCanceledException)
            {
                await Task.WhenAll(cuts);
            }
        }, CancellationToken.None);
        var log = Path.Combine(Path.GetTempPath(), $"attacker-test-{Guid.NewGuid():N}.log");
        try
        {
            var outcome = await AttackerProcess.RunAsync(
                new AttackOptions
                {
                    Attack = HostileReport.HalfOpen,
                    Port = ((IPEndPoint)listener.LocalEndPoint!).Port,
                    Path = "/echo",
                    Count = 50,
                    Time = TimeSpan.FromSeconds(20),
                },
                log, stop.Token);

            Assert.Equal((50, 50, 50, 408), (outcome.Attackers, outcome.Cut, outcome.Answered, outcome.Code));
            Assert.InRange(outcome.CutMsMedian, 150, 20_000);
        }
        finally
        {
            await stop.CancelAsync();
            await accepting;
            File.Delete(log);
        }
    }
}
