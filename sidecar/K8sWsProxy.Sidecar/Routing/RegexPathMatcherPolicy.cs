using K8sWsProxy.Sidecar.Configuration;
using Microsoft.AspNetCore.Routing.Matching;
using Yarp.ReverseProxy.Model;

namespace K8sWsProxy.Sidecar.Routing;

/// <summary>
/// RegularExpression routes are catch-all routes to ASP.NET routing; this policy drops the candidates whose regex
/// does not match the whole request path, so the next route can still match.
/// </summary>
internal sealed class RegexPathMatcherPolicy(ConfigApplier configs) : MatcherPolicy, IEndpointSelectorPolicy
{
    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints)
    {
        // Runs when YARP rebuilds its endpoints, which happens after the applier made the new document current.
        var routes = configs.Current.Routes;
        return endpoints.Any(e => e.Metadata.GetMetadata<RouteModel>() is { } m && routes.TryGetValue(m.Config.RouteId, out var r) && r.PathRegex is not null);
    }

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var routes = configs.Current.Routes;
        var path = httpContext.Request.Path.Value ?? "/";
        for (var i = 0; i < candidates.Count; i++)
        {
            if (!candidates.IsValidCandidate(i) || candidates[i].Endpoint.Metadata.GetMetadata<RouteModel>() is not { } model)
            {
                continue;
            }

            if (routes.TryGetValue(model.Config.RouteId, out var route) && route.PathRegex is { } regex)
            {
                bool matched;
                try
                {
                    matched = regex.IsMatch(path);
                }
                catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
                {
                    matched = false;
                }

                if (!matched)
                {
                    candidates.SetValidity(i, false);
                }
            }
        }

        return Task.CompletedTask;
    }
}
