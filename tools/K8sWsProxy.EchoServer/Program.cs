using System.Net;
using K8sWsProxy.EchoServer;

// usage: K8sWsProxy.EchoServer [--listen ADDR:PORT] [--name NAME]
var options = new EchoServerOptions();
for (var i = 0; i + 1 < args.Length; i += 2)
{
    options = args[i] switch
    {
        "--listen" => options with { Listen = IPEndPoint.Parse(args[i + 1]) },
        "--name" => options with { Name = args[i + 1] },
        _ => throw new ArgumentException($"unknown option {args[i]}"),
    };
}

var app = EchoServerApp.Build(options);
await app.StartAsync();
Console.WriteLine($"echo server listening on {options.Listen}");
await app.WaitForShutdownAsync();
