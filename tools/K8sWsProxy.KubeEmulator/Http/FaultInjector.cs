using K8sWsProxy.KubeEmulator.Errors;

namespace K8sWsProxy.KubeEmulator.Http;

/// <summary>Test hook: the next N requests fail with a given status (500 or 429), whatever they ask.</summary>
internal sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private int _remaining;
    private int _statusCode;

    public void FailNext(int count, int statusCode)
    {
        if (statusCode is not (500 or 429))
        {
            throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode, "only 500 and 429 are emulated");
        }

        lock (_gate)
        {
            _remaining = count;
            _statusCode = statusCode;
        }
    }

    public ApiException? TakeFault()
    {
        lock (_gate)
        {
            if (_remaining <= 0)
            {
                return null;
            }

            _remaining--;
            return ApiException.Injected(_statusCode);
        }
    }
}
