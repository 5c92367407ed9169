using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Json;

namespace K8sWsProxy.KubeEmulator.Rest;

/// <summary>
/// One page of a list (<c>limit</c>/<c>continue</c>). The token carries the first page's revision and the last key,
/// shaped like the real one; it expires (410) once the change log no longer reaches back to that revision.
/// Unlike etcd, later pages show current objects, not the first page's snapshot.
/// </summary>
internal sealed record ListPage(IReadOnlyList<JsonObject> Items, long Revision, string? Continue, long? RemainingItemCount)
{
    public static ListPage Take(IEnumerable<JsonObject> items, long revision, int limit, string? continueToken, long oldestResumable)
    {
        var start = "";
        if (!string.IsNullOrEmpty(continueToken))
        {
            (revision, start) = Decode(continueToken);
            if (revision < oldestResumable)
            {
                throw ApiException.Gone(
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.");
            }
        }

        var remaining = items.Where(o => string.CompareOrdinal(Key(o), start) > 0).ToList();
        if (limit <= 0 || remaining.Count <= limit)
        {
            return new ListPage(remaining, revision, null, null);
        }

        var page = remaining.Take(limit).ToArray();
        return new ListPage(page, revision, Encode(revision, Key(page[^1])), remaining.Count - limit);
    }

    public ListPage Select(Func<JsonObject, JsonObject> convert) => this with { Items = Items.Select(convert).ToArray() };

    private static string Key(JsonObject obj) => obj.Namespace() + "/" + obj.Name();

    private static string Encode(long revision, string lastKey) => Convert.ToBase64String(Encoding.UTF8.GetBytes(
        new JsonObject { ["v"] = "meta.k8s.io/v1", ["rv"] = revision, ["start"] = lastKey }.ToJsonString()));

    private static (long Revision, string Start) Decode(string token)
    {
        try
        {
            if (JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(token))) is JsonObject json
                && json["rv"] is JsonValue rv && long.TryParse(rv.ToJsonString(), CultureInfo.InvariantCulture, out var revision)
                && json["start"] is JsonValue start)
            {
                return (revision, start.ToString());
            }
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            throw ApiException.BadRequest($"continue key is not valid: {e.Message}");
        }

        throw ApiException.BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
    }
}
