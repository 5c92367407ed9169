using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using K8sWsProxy.KubeEmulator.Errors;
using K8sWsProxy.KubeEmulator.Json;
using K8sWsProxy.KubeEmulator.Storage;

namespace K8sWsProxy.KubeEmulator.Auth;

/// <summary>
/// TokenRequest and TokenReview, as the apiserver's service-account token authenticator does them: tokens are
/// JWTs signed with a key only this emulator knows, bound to audiences, an expiry, the service account and
/// (optionally) a pod. A review succeeds only while the service account and the bound pod still exist with the
/// same uids, and only for an audience the token was issued for.
/// </summary>
internal sealed class TokenAuthority(ObjectStore store, TimeProvider clock)
{
    /// <summary>The audience of tokens requested without one, and of reviews that name none (the apiserver's own).</summary>
    public const string DefaultAudience = "https://kubernetes.default.svc.cluster.local";

    /// <summary>The token of the kubeconfig's user, a cluster admin (<see cref="UserInfo.Admin"/>).</summary>
    public const string AdminToken = "kube-emulator";

    private const string Issuer = "https://kubernetes.default.svc.cluster.local";
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    /// <summary>POST …/serviceaccounts/{name}/token: returns the TokenRequest with status.token filled.</summary>
    public JsonObject Request(string ns, string serviceAccount, JsonObject tokenRequest)
    {
        var account = store.Get("/serviceaccounts", ns, serviceAccount) ?? throw ApiException.NotFound("", "serviceaccounts", serviceAccount);
        var spec = tokenRequest["spec"] as JsonObject ?? [];
        var audiences = (spec["audiences"] as JsonArray)?.Select(a => a?.ToString() ?? "").Where(a => a.Length > 0).ToArray() ?? [];
        if (audiences.Length == 0)
        {
            audiences = [DefaultAudience];
        }

        var lifetime = spec["expirationSeconds"] is JsonValue seconds ? long.Parse(seconds.ToJsonString(), CultureInfo.InvariantCulture) : 3600;
        if (lifetime < 600)
        {
            throw ApiException.Invalid("TokenRequest", "authentication.k8s.io", serviceAccount,
                [FieldError.Invalid("spec.expirationSeconds", lifetime, "may not specify a duration less than 10 minutes")]);
        }

        var claims = new JsonObject
        {
            ["namespace"] = ns,
            ["serviceaccount"] = new JsonObject { ["name"] = serviceAccount, ["uid"] = account.Path("metadata", "uid")?.DeepClone() },
        };
        if (spec["boundObjectRef"] is JsonObject bound)
        {
            claims["pod"] = BoundPod(ns, bound);
        }

        var now = clock.GetUtcNow();
        var expires = now.AddSeconds(lifetime);
        var payload = new JsonObject
        {
            ["aud"] = audiences.ToJsonArray(),
            ["exp"] = expires.ToUnixTimeSeconds(),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["iss"] = Issuer,
            ["jti"] = Guid.NewGuid().ToString(),
            ["kubernetes.io"] = claims,
            ["sub"] = $"system:serviceaccount:{ns}:{serviceAccount}",
        };

        var response = tokenRequest.CloneObject();
        response["apiVersion"] = "authentication.k8s.io/v1";
        response["kind"] = "TokenRequest";
        response["metadata"] = new JsonObject { ["name"] = serviceAccount, ["namespace"] = ns, ["creationTimestamp"] = Rfc3339.Format(now) };
        spec = spec.CloneObject();
        spec["audiences"] = payload["aud"]!.DeepClone();
        spec["expirationSeconds"] = lifetime;
        response["spec"] = spec;
        response["status"] = new JsonObject { ["token"] = Sign(payload), ["expirationTimestamp"] = Rfc3339.Format(expires) };
        return response;
    }

    /// <summary>POST /apis/authentication.k8s.io/v1/tokenreviews: returns the TokenReview with status filled.</summary>
    public JsonObject Review(JsonObject tokenReview)
    {
        var spec = tokenReview["spec"] as JsonObject ?? [];
        var wanted = (spec["audiences"] as JsonArray)?.Select(a => a?.ToString() ?? "").ToArray() ?? [];
        if (wanted.Length == 0)
        {
            wanted = [DefaultAudience];
        }

        var response = tokenReview.CloneObject();
        response["apiVersion"] = "authentication.k8s.io/v1";
        response["kind"] = "TokenReview";
        response["metadata"] = new JsonObject { ["creationTimestamp"] = null };
        try
        {
            response["status"] = Authenticated(spec.Str("token"), wanted);
        }
        catch (InvalidTokenException e)
        {
            response["status"] = new JsonObject { ["user"] = new JsonObject(), ["error"] = $"[invalid bearer token, {e.Message}]" };
        }

        return response;
    }

    /// <summary>
    /// The caller of a request. The emulator is plain HTTP, over which client-go (kubectl, helm) sends no
    /// credentials, so it treats a request without any as the old API servers' insecure port did: as the admin.
    /// A bearer token is the admin token or a service-account token for the API server's own audience (one for
    /// another audience, expired, or of a deleted account or pod is refused: null). The admin may act as another
    /// user with the impersonation headers (<c>kubectl --as</c>).
    /// </summary>
    public UserInfo? Authenticate(IHeaderDictionary headers)
    {
        var authorization = headers.Authorization.ToString();
        if (authorization.Length == 0 || authorization == "Bearer " + AdminToken)
        {
            return headers["Impersonate-User"].ToString() is { Length: > 0 } impersonated
                ? UserInfo.Impersonated(impersonated, headers["Impersonate-Group"].Select(g => g ?? "").ToArray())
                : UserInfo.Admin;
        }

        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = authorization[7..].Trim();

        try
        {
            var user = (JsonObject)Authenticated(token, [DefaultAudience])["user"]!;
            return new UserInfo(user.Str("username"), [.. (user["groups"] as JsonArray ?? []).Select(g => g!.ToString())]);
        }
        catch (InvalidTokenException)
        {
            return null;
        }
    }

    private JsonObject Authenticated(string token, string[] wanted)
    {
        var payload = Verify(token);
        var audiences = (payload["aud"] as JsonArray ?? []).Select(a => a?.ToString() ?? "").Intersect(wanted).ToArray();
        if (audiences.Length == 0)
        {
            throw new InvalidTokenException($"token audiences {payload["aud"]?.ToJsonString()} is invalid for the target audiences [{string.Join(" ", wanted)}]");
        }

        if (payload["exp"] is not JsonValue exp || long.Parse(exp.ToJsonString(), CultureInfo.InvariantCulture) <= clock.GetUtcNow().ToUnixTimeSeconds())
        {
            throw new InvalidTokenException("service account token has expired");
        }

        var claims = payload["kubernetes.io"] as JsonObject ?? [];
        var ns = claims.Str("namespace");
        var accountName = claims.Path("serviceaccount", "name")?.ToString() ?? "";
        var accountUid = claims.Path("serviceaccount", "uid")?.ToString() ?? "";
        var account = store.Get("/serviceaccounts", ns, accountName);
        if (account?.Path("metadata", "uid")?.ToString() != accountUid)
        {
            throw new InvalidTokenException($"service account {ns}/{accountName} has been deleted or recreated");
        }

        var extra = new JsonObject
        {
            ["authentication.kubernetes.io/credential-id"] = new JsonArray("JTI=" + payload["jti"]),
        };
        if (claims["pod"] is JsonObject pod)
        {
            var podName = pod.Str("name");
            var podUid = pod.Str("uid");
            if (store.Get("/pods", ns, podName)?.Path("metadata", "uid")?.ToString() != podUid)
            {
                throw new InvalidTokenException($"pod {ns}/{podName} ({podUid}) has been deleted");
            }

            extra["authentication.kubernetes.io/pod-name"] = new JsonArray(podName);
            extra["authentication.kubernetes.io/pod-uid"] = new JsonArray(podUid);
        }

        return new JsonObject
        {
            ["authenticated"] = true,
            ["user"] = new JsonObject
            {
                ["username"] = $"system:serviceaccount:{ns}:{accountName}",
                ["uid"] = accountUid,
                ["groups"] = new JsonArray("system:serviceaccounts", $"system:serviceaccounts:{ns}", "system:authenticated"),
                ["extra"] = extra,
            },
            ["audiences"] = audiences.ToJsonArray(),
        };
    }

    private JsonObject BoundPod(string ns, JsonObject bound)
    {
        var kind = bound.Str("kind");
        if (kind != "Pod")
        {
            // Secrets and Nodes can be bound too in a real cluster; the operator only ever binds pods.
            throw ApiException.Invalid("TokenRequest", "authentication.k8s.io", bound.Str("name"),
                [FieldError.NotSupported("spec.boundObjectRef.kind", kind, ["\"Pod\""])]);
        }

        var name = bound.Str("name");
        var pod = store.Get("/pods", ns, name) ?? throw ApiException.NotFound("", "pods", name);
        var uid = pod.Path("metadata", "uid")?.ToString() ?? "";
        var wantedUid = bound.Str("uid");
        if (wantedUid.Length > 0 && wantedUid != uid)
        {
            throw ApiException.Conflict("", "pods", name);
        }

        return new JsonObject { ["name"] = name, ["uid"] = uid };
    }

    private string Sign(JsonObject payload)
    {
        var header = Base64Url(Encoding.UTF8.GetBytes("""{"alg":"HS256","kid":"kube-emulator"}"""));
        var body = Base64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        var signature = Base64Url(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(header + "." + body)));
        return $"{header}.{body}.{signature}";
    }

    private JsonObject Verify(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            throw new InvalidTokenException("token is not a JWT");
        }

        var expected = HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        byte[] signature;
        JsonNode? payload;
        try
        {
            signature = Convert.FromBase64String(Unpad(parts[2]));
            payload = JsonNode.Parse(Convert.FromBase64String(Unpad(parts[1])));
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            throw new InvalidTokenException("token is malformed");
        }

        return CryptographicOperations.FixedTimeEquals(signature, expected) && payload is JsonObject claims
            ? claims
            : throw new InvalidTokenException("token signature is invalid");
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Unpad(string base64Url)
    {
        var s = base64Url.Replace('-', '+').Replace('_', '/');
        return s + new string('=', (4 - (s.Length % 4)) % 4);
    }

    private sealed class InvalidTokenException(string message) : Exception(message);
}
