using System.Globalization;
using System.Text.Json.Nodes;
using K8sWsProxy.Contracts.Config;
using K8sWsProxy.KubeEmulator.Auth;
using K8sWsProxy.KubeEmulator.Discovery;
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Registry;
using K8sWsProxy.KubeEmulator.Rest;
using K8sWsProxy.KubeEmulator.Selectors;
using K8sWsProxy.KubeEmulator.Table;
using K8sWsProxy.KubeEmulator.Watch;

namespace K8sWsProxy.KubeEmulator.Http;

/// <summary>
/// The single request handler: discovery and OpenAPI documents, then resource verbs. Every failure becomes a
/// Status body with the real code; an unexpected exception is a 500 InternalError, never a dropped connection.
/// </summary>
internal sealed class ApiHandler(
    RestStorage storage,
    ResourceRegistry registry,
    TokenAuthority tokens,
    RbacAuthorizer authorizer,
    WatchStream watches,
    FaultInjector faults,
    TimeProvider clock,
    TimeSpan maxWatchTimeout)
{
    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            if (faults.TakeFault() is { } fault)
            {
                throw fault;
            }

            await DispatchAsync(context);
        }
        catch (ApiException error) when (!context.Response.HasStarted)
        {
            await JsonResponses.WriteErrorAsync(context, error);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left.
        }
        catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
        {
            await JsonResponses.WriteErrorAsync(context, ApiException.Internal($"emulator error: {e.GetType().Name}: {e.Message}"));
        }
    }

    private async Task DispatchAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var get = HttpMethods.IsGet(context.Request.Method);
        switch (segments)
        {
            // Open to anyone, as system:public-info-viewer makes them.
            case ["version"] when get:
                await JsonResponses.WriteAsync(context, 200, DiscoveryDocuments.Version());
                return;
            case ["healthz" or "livez" or "readyz"] when get:
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("ok");
                return;
        }

        var user = tokens.Authenticate(context.Request.Headers) ?? throw ApiException.Unauthorized();
        switch (segments)
        {
            case ["api" or "apis"] when get && AggregatedDiscovery.IsWanted(context.Request.Headers.Accept.ToString()):
                await JsonResponses.WriteAsync(context, 200, AggregatedDiscovery.Document(registry, core: segments[0] == "api"), AggregatedDiscovery.MediaType);
                return;
            case ["api"] when get:
                await JsonResponses.WriteAsync(context, 200, DiscoveryDocuments.CoreVersions(context.Request.Host.Value ?? ""));
                return;
            case ["apis"] when get:
                await JsonResponses.WriteAsync(context, 200, DiscoveryDocuments.GroupList(registry));
                return;
            case ["apis", var group] when get:
                await JsonResponses.WriteAsync(context, 200, DiscoveryDocuments.Group(registry, group) ?? throw ApiException.NotFoundPath(path));
                return;
            case ["api", var version] when get:
                await JsonResponses.WriteAsync(context, 200, DiscoveryDocuments.ResourceList(registry, version) ?? throw ApiException.NotFoundPath(path));
                return;
            case ["apis", var group, var version] when get:
                await JsonResponses.WriteAsync(context, 200, DiscoveryDocuments.ResourceList(registry, $"{group}/{version}") ?? throw ApiException.NotFoundPath(path));
                return;
            case ["openapi", "v3"] when get:
                await JsonResponses.WriteAsync(context, 200, OpenApiDocuments.Index(registry));
                return;
            case ["openapi", "v3", "api", var version] when get:
                await JsonResponses.WriteAsync(context, 200, OpenApiDocuments.ForGroupVersion(registry, version) ?? throw ApiException.NotFoundPath(path));
                return;
            case ["openapi", "v3", "apis", var group, var version] when get:
                await JsonResponses.WriteAsync(context, 200, OpenApiDocuments.ForGroupVersion(registry, $"{group}/{version}") ?? throw ApiException.NotFoundPath(path));
                return;
            case ["api", var version, .. var rest] when ResourcePath.Resolve(registry, "", version, rest, path) is { } resource:
                await ServeResourceAsync(context, resource, user);
                return;
            case ["apis", var group, var version, .. var rest] when ResourcePath.Resolve(registry, group, version, rest, path) is { } resource:
                await ServeResourceAsync(context, resource, user);
                return;
            default:
                throw ApiException.NotFoundPath(path);
        }
    }

    private async Task ServeResourceAsync(HttpContext context, ResourcePath target, UserInfo user)
    {
        var request = context.Request;
        var (kind, ns, name, subresource) = (target.Kind, target.Namespace, target.Name, target.Subresource);
        var query = request.Query;
        var statusWrite = subresource == "status";
        var attributes = new RequestAttributes(
            RequestAttributes.VerbOf(request.Method, name.Length > 0, IsTrue(query["watch"])), kind.Group, kind.Plural, subresource, ns, name);
        // Asking about oneself is every authenticated user's right (system:basic-user).
        if (kind != BuiltinKinds.SelfSubjectAccessReview && !authorizer.Allows(user, attributes))
        {
            throw ApiException.Denied(kind.Group, attributes.QualifiedResource, name, RbacAuthorizer.Denial(user, attributes));
        }

        switch (request.Method)
        {
            case "GET" when name.Length == 0 && IsTrue(query["watch"]):
                await watches.ServeAsync(context, WatchRequest(kind, ns, request));
                return;
            case "GET" when name.Length == 0:
                await ListAsync(context, kind, ns, query);
                return;
            case "GET":
                var obj = storage.Get(kind, ns, name);
                await JsonResponses.WriteAsync(context, 200, MediaTypes.Table(request) is { } include
                    ? TableConverter.Convert(kind, [obj], obj.ResourceVersion(), null, include, clock)
                    : obj);
                return;
            case "POST" when kind == BuiltinKinds.SubjectAccessReview || kind == BuiltinKinds.SelfSubjectAccessReview:
                var review = await ReadObjectAsync(request, kind);
                await JsonResponses.WriteAsync(context, 201, AccessReview.Answer(authorizer, review, kind == BuiltinKinds.SelfSubjectAccessReview ? user : null));
                return;
            case "POST" when kind == BuiltinKinds.TokenReview:
                await JsonResponses.WriteAsync(context, 201, tokens.Review(await ReadObjectAsync(request, kind)));
                return;
            case "POST" when subresource == "token" && name.Length > 0:
                await JsonResponses.WriteAsync(context, 201, tokens.Request(ns, name, await ReadObjectAsync(request, kind)));
                return;
            case "POST" when name.Length == 0 && (ns.Length > 0 || !kind.Namespaced):
                await WriteResultAsync(context, storage.Create(kind, ns, await ReadObjectAsync(request, kind), WriteOptions(request, user)));
                return;
            case "PUT" when name.Length > 0:
                await WriteResultAsync(context, storage.Update(kind, ns, name, await ReadObjectAsync(request, kind), statusWrite, WriteOptions(request, user)));
                return;
            case "PATCH" when name.Length > 0:
                var patch = await new StreamReader(request.Body).ReadToEndAsync(context.RequestAborted);
                await WriteResultAsync(context, storage.Patch(kind, ns, name, MediaTypes.Of(request.ContentType), patch, statusWrite, WriteOptions(request, user)));
                return;
            case "DELETE" when name.Length > 0 && !statusWrite:
                var options = await ReadOptionalObjectAsync(request, kind);
                await JsonResponses.WriteAsync(context, 200, storage.Delete(kind, ns, name, options, IsDryRun(query, options)));
                return;
            case "DELETE" when name.Length == 0:
                await DeleteCollectionAsync(context, kind, ns, query);
                return;
            default:
                throw ApiException.MethodNotAllowed(request.Method);
        }
    }

    private async Task ListAsync(HttpContext context, ResourceKind kind, string ns, IQueryCollection query)
    {
        var page = storage.List(kind, ns, LabelSelector.Parse(query["labelSelector"]), FieldSelector.Parse(query["fieldSelector"], kind),
            Int(query, "limit"), query["continue"]);
        var revision = page.Revision.ToString(CultureInfo.InvariantCulture);
        if (MediaTypes.Table(context.Request) is { } include)
        {
            await JsonResponses.WriteAsync(context, 200, TableConverter.Convert(kind, page.Items, revision, page.Continue, include, clock));
            return;
        }

        var metadata = new JsonObject { ["resourceVersion"] = revision };
        if (page.Continue is not null)
        {
            metadata["continue"] = page.Continue;
            metadata["remainingItemCount"] = page.RemainingItemCount;
        }

        await JsonResponses.WriteAsync(context, 200, new JsonObject
        {
            ["kind"] = kind.Kind + "List",
            ["apiVersion"] = kind.ApiVersion,
            ["metadata"] = metadata,
            ["items"] = new JsonArray(page.Items.Select(i => (JsonNode)i).ToArray()),
        });
    }

    private async Task DeleteCollectionAsync(HttpContext context, ResourceKind kind, string ns, IQueryCollection query)
    {
        var options = await ReadOptionalObjectAsync(context.Request, kind);
        var page = storage.List(kind, ns, LabelSelector.Parse(query["labelSelector"]), FieldSelector.Parse(query["fieldSelector"], kind), 0, null);
        var deleted = new JsonArray();
        foreach (var item in page.Items)
        {
            var result = storage.Delete(kind, item.Namespace(), item.Name(), options, IsDryRun(query, options));
            deleted.Add(result.Str("kind") == "Status" ? item : result);
        }

        await JsonResponses.WriteAsync(context, 200, new JsonObject
        {
            ["kind"] = kind.Kind + "List",
            ["apiVersion"] = kind.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = storage.Store.Revision.ToString(CultureInfo.InvariantCulture) },
            ["items"] = deleted,
        });
    }

    private WatchRequest WatchRequest(ResourceKind kind, string ns, HttpRequest request)
    {
        var query = request.Query;
        string rv = query["resourceVersion"].ToString();
        long? from = null;
        if (rv.Length > 0 && rv != "0")
        {
            from = long.TryParse(rv, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw ApiException.BadRequest($"resourceVersion: Invalid value: \"{rv}\": must be a non-negative integer");
        }

        var timeout = Int(query, "timeoutSeconds") is > 0 and var seconds ? TimeSpan.FromSeconds(seconds) : maxWatchTimeout;
        return new WatchRequest(
            kind,
            new WatchFilter(ns, LabelSelector.Parse(query["labelSelector"]), FieldSelector.Parse(query["fieldSelector"], kind)),
            from,
            IsTrue(query["allowWatchBookmarks"]),
            IsTrue(query["sendInitialEvents"]),
            timeout < maxWatchTimeout ? timeout : maxWatchTimeout,
            MediaTypes.Table(request));
    }

    private static WriteOptions WriteOptions(HttpRequest request, UserInfo user)
    {
        var query = request.Query;
        var validation = query["fieldValidation"].ToString() switch
        {
            "" or "Warn" => FieldValidation.Warn,
            "Strict" => FieldValidation.Strict,
            "Ignore" => FieldValidation.Ignore,
            var other => throw ApiException.BadRequest($"fieldValidation must be one of Ignore, Warn, Strict; got \"{other}\""),
        };
        var manager = query["fieldManager"].ToString();
        if (manager.Length > 128)
        {
            throw ApiException.BadRequest("fieldManager: Too long: may not be more than 128 bytes");
        }

        var agent = request.Headers.UserAgent.ToString().Split('/', 2)[0];
        return new WriteOptions(IsDryRun(query, null), validation, manager, agent.Length > 0 ? agent : "unknown", IsTrue(query["force"]), user);
    }

    private static bool IsDryRun(IQueryCollection query, JsonObject? deleteOptions)
    {
        var dryRun = query["dryRun"].ToString();
        if (dryRun.Length > 0 && dryRun != "All")
        {
            throw ApiException.BadRequest($"dryRun: Unsupported value: \"{dryRun}\": supported values: \"All\"");
        }

        return dryRun == "All" || (deleteOptions?["dryRun"] as JsonArray)?.Any(d => d?.ToString() == "All") == true;
    }

    private static async Task WriteResultAsync(HttpContext context, WriteResult result)
    {
        foreach (var warning in result.Warnings)
        {
            context.Response.Headers.Append("Warning", $"299 - \"{warning.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        }

        await JsonResponses.WriteAsync(context, result.StatusCode, result.Body);
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpRequest request, ResourceKind kind) =>
        await ReadOptionalObjectAsync(request, kind) ?? throw ApiException.BadRequest("the request body is empty");

    /// <param name="kind">The kind written; custom resources have no protobuf form.</param>
    private static async Task<JsonObject?> ReadOptionalObjectAsync(HttpRequest request, ResourceKind? kind)
    {
        var mediaType = MediaTypes.Of(request.ContentType);
        if (mediaType == ProtobufBody.MediaType && kind?.IsCustom != true)
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
            return buffer.Length == 0 ? null : ProtobufBody.Decode(buffer.ToArray());
        }

        var text = await new StreamReader(request.Body).ReadToEndAsync(request.HttpContext.RequestAborted);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (mediaType.Contains("yaml", StringComparison.Ordinal))
        {
            try
            {
                return YamlToJson.ConvertAll(text).OfType<JsonObject>().FirstOrDefault() ?? throw ApiException.BadRequest("the request body is empty");
            }
            catch (FormatException e)
            {
                throw ApiException.BadRequest($"error converting YAML to JSON: {e.Message}");
            }
        }

        if (mediaType.Length > 0 && !mediaType.Contains("json", StringComparison.Ordinal))
        {
            throw ApiException.UnsupportedMediaType($"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got {mediaType})");
        }

        return JsonNodeExtensions.ParseObject(text);
    }

    // As the real server's query decoding: present and anything but false or 0 is true (watch=True, watch=yes).
    private static bool IsTrue(Microsoft.Extensions.Primitives.StringValues value) => value.ToString() is { Length: > 0 } text && text is not ("false" or "0");

    private static int Int(IQueryCollection query, string name)
    {
        var text = query[name].ToString();
        if (text.Length == 0)
        {
            return 0;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw ApiException.BadRequest($"{name}: invalid value \"{text}\": must be a non-negative integer");
    }
}
