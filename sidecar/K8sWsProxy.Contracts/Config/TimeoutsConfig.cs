namespace K8sWsProxy.Contracts.Config;

/// <summary>Durations as strings ("500ms", "5s", "10m", "1h30m"); see <see cref="Duration"/>.</summary>
public sealed record TimeoutsConfig
{
    /// <summary>TCP (and TLS) connect to one upstream endpoint.</summary>
    public string Connect { get; init; } = "5s";

    /// <summary>From the request to the upstream's 101, retries included; 504 when it runs out.</summary>
    public string Handshake { get; init; } = "10s";

    /// <summary>No data message either way for this long closes the connection with 1001; "0" disables.</summary>
    public string Idle { get; init; } = "0";

    /// <summary>How long a connection of a removed or changed route, or of a stopping sidecar, may finish.</summary>
    public string Drain { get; init; } = "30s";
}
