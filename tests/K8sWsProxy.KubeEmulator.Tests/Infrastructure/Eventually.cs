namespace K8sWsProxy.KubeEmulator.Tests.Infrastructure;

/// <summary>Waits for a condition by polling, bounded in time, instead of sleeping.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"timed out waiting for {what}");
    }
}
