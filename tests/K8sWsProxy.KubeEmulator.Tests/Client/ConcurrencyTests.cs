using System.Globalization;

namespace K8sWsProxy.KubeEmulator.Tests.Client;

/// <summary>Concurrent writers: one global order, every change seen once, read-modify-write protected by resourceVersion.</summary>
public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Concurrent_writes_reach_a_watch_once_each_in_resourceVersion_order()
    {
        await using var kube = await TestEmulator.StartAsync(withCrd: false);
        var from = kube.Emulator.ResourceVersion.ToString(CultureInfo.InvariantCulture);
        await using var watch = new WatchRecorder<V1ConfigMap>((onError, ct) =>
            kube.Client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: from, onError: onError, cancellationToken: ct));

        const int Writers = 8, PerWriter = 10;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                await kube.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"w{w}-{i}" } }, "default");
            }
        })));

        var seen = new List<(string Name, long Rv)>();
        for (var i = 0; i < Writers * PerWriter; i++)
        {
            var (_, map) = await watch.NextAsync();
            seen.Add((map.Metadata.Name, long.Parse(map.Metadata.ResourceVersion, CultureInfo.InvariantCulture)));
        }

        Assert.Equal(Writers * PerWriter, seen.Select(s => s.Name).Distinct().Count());
        Assert.Equal(seen.Select(s => s.Rv).Order(), seen.Select(s => s.Rv));
        Assert.True(await watch.IsQuietAsync(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task Racing_read_modify_writes_lose_no_increment()
    {
        await using var kube = await TestEmulator.StartAsync(withCrd: false);
        await kube.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "counter" }, Data = new Dictionary<string, string> { ["n"] = "0" } }, "default");

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var done = 0; done < 5;)
            {
                var map = await kube.Client.CoreV1.ReadNamespacedConfigMapAsync("counter", "default");
                map.Data["n"] = (int.Parse(map.Data["n"], CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture);
                try
                {
                    await kube.Client.CoreV1.ReplaceNamespacedConfigMapAsync(map, "counter", "default");
                    done++;
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
                {
                    // Someone else wrote first: read again and retry, as every controller does.
                }
            }
        })));

        var final = await kube.Client.CoreV1.ReadNamespacedConfigMapAsync("counter", "default");
        Assert.Equal("20", final.Data["n"]);
    }
}
