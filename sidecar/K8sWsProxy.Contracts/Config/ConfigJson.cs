using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using K8sWsProxy.Contracts.Channel;

namespace K8sWsProxy.Contracts.Config;

/// <summary>The contract's types, generated at build time; read and write them through <see cref="ConfigJson"/>.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    AllowTrailingCommas = true,
    ReadCommentHandling = JsonCommentHandling.Skip,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict,
    // Every enum is written as its name; the contract's enums are listed as well so that an integer is refused when
    // read, as JsonStringEnumConverter(allowIntegerValues: false) did. A new enum needs its entry here.
    UseStringEnumConverter = true,
    Converters = [typeof(ConfigJson.EnumNames<PathType>), typeof(ConfigJson.EnumNames<LoadBalancing>), typeof(ConfigJson.EnumNames<UpstreamLost>),
        typeof(ConfigJson.EnumNames<BufferOverflow>), typeof(ConfigJson.EnumNames<RuleDirection>), typeof(ConfigJson.EnumNames<RuleAction>)])]
[JsonSerializable(typeof(SidecarConfigDocument))]
[JsonSerializable(typeof(ChannelMessage))]
[JsonSerializable(typeof(RouteConfig))]
[JsonSerializable(typeof(RouteMatch))]
internal sealed partial class ConfigJsonContext : JsonSerializerContext;

/// <summary>
/// The one JSON shape of the document and the channel: camelCase, enums as names (integers refused), unknown fields
/// refused. Source generated (no reflection, so trimming and Native AOT keep it), through <see cref="Document"/>,
/// <see cref="Message"/>, <see cref="Route"/> and <see cref="Match"/>.
/// </summary>
/// <remarks>
/// The generator builds records with init-only properties through an object initializer that sets every property,
/// so a field missing from the JSON would get null or 0 instead of the record's default (dotnet/runtime#84484), and
/// errors would name the record instead of the field's type. The contract's records are therefore read as the
/// reflection serializer reads them: created with their defaults, then each property in the JSON set, its
/// <c>init</c> accessor reached through <see cref="UnsafeAccessorAttribute"/>. Everything else (names, nullability,
/// converters, collections) comes from the generated metadata, and any drift between the two throws.
/// </remarks>
public static class ConfigJson
{
    private const string Reflection = "Types outside the contract are serialized by reflection; trimmed or AOT code uses ConfigJson.Document and its siblings.";

    private static readonly JsonSerializerOptions Generated = Create(new InitOnlyRecords());

    public static JsonTypeInfo<SidecarConfigDocument> Document { get; } = TypeInfo<SidecarConfigDocument>();

    public static JsonTypeInfo<ChannelMessage> Message { get; } = TypeInfo<ChannelMessage>();

    /// <summary>One route alone, as the sidecar compares an old and a new version.</summary>
    public static JsonTypeInfo<RouteConfig> Route { get; } = TypeInfo<RouteConfig>();

    public static JsonTypeInfo<RouteMatch> Match { get; } = TypeInfo<RouteMatch>();

    /// <summary>
    /// The same rules as options, for callers that serialize their own types around the contract's (the operator's
    /// golden tests): the contract's types exactly as above, any other type by reflection, every enum as its name.
    /// Read-only; not for trimmed or AOT code.
    /// </summary>
    public static JsonSerializerOptions Options
    {
        [RequiresUnreferencedCode(Reflection)]
        [RequiresDynamicCode(Reflection)]
        get => ReflectionOptions.Instance;
    }

    /// <summary>An enum as its name; an integer, in a string or not, is refused.</summary>
    public sealed class EnumNames<TEnum>() : JsonStringEnumConverter<TEnum>(namingPolicy: null, allowIntegerValues: false)
        where TEnum : struct, Enum;

    private static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)Generated.GetTypeInfo(typeof(T));

    private static JsonSerializerOptions Create(IJsonTypeInfoResolver resolver)
    {
        var options = new JsonSerializerOptions(ConfigJsonContext.Default.Options) { TypeInfoResolver = resolver };
        options.MakeReadOnly();
        return options;
    }

    [RequiresUnreferencedCode(Reflection)]
    [RequiresDynamicCode(Reflection)]
    private static class ReflectionOptions
    {
        public static readonly JsonSerializerOptions Instance = CreateWithReflection();

        private static JsonSerializerOptions CreateWithReflection()
        {
            var options = new JsonSerializerOptions(ConfigJsonContext.Default.Options)
            {
                TypeInfoResolver = JsonTypeInfoResolver.Combine(new InitOnlyRecords(), new DefaultJsonTypeInfoResolver()),
            };
            options.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
            options.MakeReadOnly();
            return options;
        }
    }

    /// <summary>The generated metadata, with the contract's records created first and their properties set one by one.</summary>
    private sealed class InitOnlyRecords : IJsonTypeInfoResolver
    {
        public JsonTypeInfo? GetTypeInfo(Type type, JsonSerializerOptions options)
        {
            var generated = ((IJsonTypeInfoResolver)ConfigJsonContext.Default).GetTypeInfo(type, options);
            if (generated is null || generated.Kind != JsonTypeInfoKind.Object)
            {
                return generated;
            }

            return generated switch
            {
                JsonTypeInfo<SidecarConfigDocument> t => Record(t, options, () => new(),
                    Set<SidecarConfigDocument, string?>(nameof(SidecarConfigDocument.Revision), Init.Revision),
                    Set<SidecarConfigDocument, IReadOnlyList<RouteConfig>>(nameof(SidecarConfigDocument.Routes), Init.Routes)),
                JsonTypeInfo<ChannelMessage> t => Record(t, options, () => new() { Type = null! },
                    Set<ChannelMessage, string>(nameof(ChannelMessage.Type), Init.Type),
                    Set<ChannelMessage, SidecarConfigDocument?>(nameof(ChannelMessage.Document), Init.Document),
                    Set<ChannelMessage, string?>(nameof(ChannelMessage.Revision), Init.Revision),
                    Set<ChannelMessage, IReadOnlyList<string>?>(nameof(ChannelMessage.Reasons), Init.Reasons),
                    Set<ChannelMessage, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>?>(nameof(ChannelMessage.Upstreams), Init.Upstreams)),
                JsonTypeInfo<RouteConfig> t => Record(t, options, () => new(),
                    Set<RouteConfig, string>(nameof(RouteConfig.Name), Init.Name),
                    Set<RouteConfig, string>(nameof(RouteConfig.Namespace), Init.Namespace),
                    Set<RouteConfig, RouteMatch>(nameof(RouteConfig.Match), Init.Match),
                    Set<RouteConfig, DownstreamTlsConfig?>(nameof(RouteConfig.Tls), Init.Tls),
                    Set<RouteConfig, UpstreamConfig>(nameof(RouteConfig.Upstream), Init.Upstream),
                    Set<RouteConfig, WebSocketOptions>(nameof(RouteConfig.WebSocket), Init.WebSocket),
                    Set<RouteConfig, HeadersConfig>(nameof(RouteConfig.Headers), Init.Headers),
                    Set<RouteConfig, TimeoutsConfig>(nameof(RouteConfig.Timeouts), Init.Timeouts),
                    Set<RouteConfig, LimitsConfig>(nameof(RouteConfig.Limits), Init.Limits),
                    Set<RouteConfig, MessagesConfig?>(nameof(RouteConfig.Messages), Init.Messages),
                    Set<RouteConfig, string>(nameof(RouteConfig.Key), null)),
                JsonTypeInfo<RouteMatch> t => Record(t, options, () => new(),
                    Set<RouteMatch, IReadOnlyList<string>>(nameof(RouteMatch.Hosts), Init.Hosts),
                    Set<RouteMatch, string>(nameof(RouteMatch.Path), Init.Path),
                    Set<RouteMatch, PathType>(nameof(RouteMatch.PathType), Init.PathType),
                    Set<RouteMatch, IReadOnlyList<HeaderMatch>>(nameof(RouteMatch.Headers), Init.Headers)),
                JsonTypeInfo<HeaderMatch> t => Record(t, options, () => new(),
                    Set<HeaderMatch, string>(nameof(HeaderMatch.Name), Init.Name),
                    Set<HeaderMatch, string>(nameof(HeaderMatch.Value), Init.Value)),
                JsonTypeInfo<DownstreamTlsConfig> t => Record(t, options, () => new(),
                    Set<DownstreamTlsConfig, string?>(nameof(DownstreamTlsConfig.CertificatePem), Init.CertificatePem),
                    Set<DownstreamTlsConfig, string?>(nameof(DownstreamTlsConfig.PrivateKeyPem), Init.PrivateKeyPem),
                    Set<DownstreamTlsConfig, string?>(nameof(DownstreamTlsConfig.CertificateFile), Init.CertificateFile),
                    Set<DownstreamTlsConfig, string?>(nameof(DownstreamTlsConfig.PrivateKeyFile), Init.PrivateKeyFile),
                    Set<DownstreamTlsConfig, string>(nameof(DownstreamTlsConfig.MinVersion), Init.MinVersion)),
                JsonTypeInfo<UpstreamConfig> t => Record(t, options, () => new(),
                    Set<UpstreamConfig, IReadOnlyList<EndpointConfig>>(nameof(UpstreamConfig.Endpoints), Init.Endpoints),
                    Set<UpstreamConfig, LoadBalancing>(nameof(UpstreamConfig.LoadBalancing), Init.LoadBalancing),
                    Set<UpstreamConfig, SessionAffinityConfig?>(nameof(UpstreamConfig.SessionAffinity), Init.SessionAffinity),
                    Set<UpstreamConfig, UpstreamTlsConfig?>(nameof(UpstreamConfig.Tls), Init.Tls),
                    Set<UpstreamConfig, RetryConfig>(nameof(UpstreamConfig.Retry), Init.Retry),
                    Set<UpstreamConfig, UpstreamLost?>(nameof(UpstreamConfig.OnLost), Init.OnLost),
                    Set<UpstreamConfig, FailoverConfig?>(nameof(UpstreamConfig.Failover), Init.Failover)),
                JsonTypeInfo<FailoverConfig> t => Record(t, options, () => new(),
                    Set<FailoverConfig, IReadOnlyList<int>>(nameof(FailoverConfig.CloseCodes), Init.CloseCodes),
                    Set<FailoverConfig, bool>(nameof(FailoverConfig.Notify), Init.Notify),
                    Set<FailoverConfig, int>(nameof(FailoverConfig.BufferMessages), Init.BufferMessages),
                    Set<FailoverConfig, long>(nameof(FailoverConfig.BufferBytes), Init.BufferBytes),
                    Set<FailoverConfig, BufferOverflow>(nameof(FailoverConfig.OnBufferFull), Init.OnBufferFull),
                    Set<FailoverConfig, bool>(nameof(FailoverConfig.ReplayFirstMessage), Init.ReplayFirstMessage)),
                JsonTypeInfo<MessagesConfig> t => Record(t, options, () => new(),
                    Set<MessagesConfig, long>(nameof(MessagesConfig.MaxBytes), Init.MaxBytes),
                    Set<MessagesConfig, IReadOnlyList<MessageRuleConfig>>(nameof(MessagesConfig.Rules), Init.Rules)),
                JsonTypeInfo<MessageRuleConfig> t => Record(t, options, () => new(),
                    Set<MessageRuleConfig, string>(nameof(MessageRuleConfig.Name), Init.Name),
                    Set<MessageRuleConfig, RuleDirection>(nameof(MessageRuleConfig.Direction), Init.Direction),
                    Set<MessageRuleConfig, MessageMatchConfig>(nameof(MessageRuleConfig.Match), Init.Match),
                    Set<MessageRuleConfig, RuleAction>(nameof(MessageRuleConfig.Action), Init.Action),
                    Set<MessageRuleConfig, string?>(nameof(MessageRuleConfig.Text), Init.Text),
                    Set<MessageRuleConfig, int>(nameof(MessageRuleConfig.CloseCode), Init.CloseCode),
                    Set<MessageRuleConfig, string>(nameof(MessageRuleConfig.CloseReason), Init.CloseReason)),
                JsonTypeInfo<MessageMatchConfig> t => Record(t, options, () => new(),
                    Set<MessageMatchConfig, string?>(nameof(MessageMatchConfig.Exact), Init.Exact),
                    Set<MessageMatchConfig, string?>(nameof(MessageMatchConfig.Prefix), Init.Prefix),
                    Set<MessageMatchConfig, string?>(nameof(MessageMatchConfig.Regex), Init.Regex),
                    Set<MessageMatchConfig, JsonFieldMatch?>(nameof(MessageMatchConfig.Json), Init.Json)),
                JsonTypeInfo<JsonFieldMatch> t => Record(t, options, () => new(),
                    Set<JsonFieldMatch, string>(nameof(JsonFieldMatch.Field), Init.Field),
                    Set<JsonFieldMatch, string>(nameof(JsonFieldMatch.Value), Init.Value)),
                JsonTypeInfo<EndpointConfig> t => Record(t, options, () => new(),
                    Set<EndpointConfig, string>(nameof(EndpointConfig.Url), Init.Url),
                    Set<EndpointConfig, int>(nameof(EndpointConfig.Weight), Init.Weight),
                    Set<EndpointConfig, string>(nameof(EndpointConfig.HttpVersion), Init.HttpVersion)),
                JsonTypeInfo<SessionAffinityConfig> t => Record(t, options, () => new(),
                    Set<SessionAffinityConfig, string?>(nameof(SessionAffinityConfig.Header), Init.Header),
                    Set<SessionAffinityConfig, string?>(nameof(SessionAffinityConfig.Cookie), Init.Cookie)),
                JsonTypeInfo<UpstreamTlsConfig> t => Record(t, options, () => new(),
                    Set<UpstreamTlsConfig, string?>(nameof(UpstreamTlsConfig.CaPem), Init.CaPem),
                    Set<UpstreamTlsConfig, string?>(nameof(UpstreamTlsConfig.CaFile), Init.CaFile),
                    Set<UpstreamTlsConfig, string?>(nameof(UpstreamTlsConfig.ClientCertificatePem), Init.ClientCertificatePem),
                    Set<UpstreamTlsConfig, string?>(nameof(UpstreamTlsConfig.ClientKeyPem), Init.ClientKeyPem),
                    Set<UpstreamTlsConfig, string?>(nameof(UpstreamTlsConfig.ClientCertificateFile), Init.ClientCertificateFile),
                    Set<UpstreamTlsConfig, string?>(nameof(UpstreamTlsConfig.ClientKeyFile), Init.ClientKeyFile),
                    Set<UpstreamTlsConfig, string?>(nameof(UpstreamTlsConfig.ServerName), Init.ServerName),
                    Set<UpstreamTlsConfig, bool>(nameof(UpstreamTlsConfig.InsecureSkipVerify), Init.InsecureSkipVerify)),
                JsonTypeInfo<RetryConfig> t => Record(t, options, () => new(),
                    Set<RetryConfig, int>(nameof(RetryConfig.Attempts), Init.Attempts),
                    Set<RetryConfig, string>(nameof(RetryConfig.InitialInterval), Init.InitialInterval),
                    Set<RetryConfig, double>(nameof(RetryConfig.Growth), Init.Growth)),
                JsonTypeInfo<WebSocketOptions> t => Record(t, options, () => new(),
                    Set<WebSocketOptions, IReadOnlyList<string>>(nameof(WebSocketOptions.Subprotocols), Init.Subprotocols),
                    Set<WebSocketOptions, IReadOnlyList<string>>(nameof(WebSocketOptions.AllowedOrigins), Init.AllowedOrigins),
                    Set<WebSocketOptions, long>(nameof(WebSocketOptions.MaxMessageBytes), Init.MaxMessageBytes),
                    Set<WebSocketOptions, string?>(nameof(WebSocketOptions.KeepAliveInterval), Init.KeepAliveInterval)),
                JsonTypeInfo<HeadersConfig> t => Record(t, options, () => new(),
                    Set<HeadersConfig, IReadOnlyDictionary<string, string>>(nameof(HeadersConfig.Set), Init.Set),
                    Set<HeadersConfig, IReadOnlyList<string>>(nameof(HeadersConfig.Remove), Init.Remove)),
                JsonTypeInfo<TimeoutsConfig> t => Record(t, options, () => new(),
                    Set<TimeoutsConfig, string>(nameof(TimeoutsConfig.Connect), Init.Connect),
                    Set<TimeoutsConfig, string>(nameof(TimeoutsConfig.Handshake), Init.Handshake),
                    Set<TimeoutsConfig, string>(nameof(TimeoutsConfig.Idle), Init.Idle),
                    Set<TimeoutsConfig, string>(nameof(TimeoutsConfig.Drain), Init.Drain)),
                JsonTypeInfo<LimitsConfig> t => Record(t, options, () => new(),
                    Set<LimitsConfig, int>(nameof(LimitsConfig.MaxConnections), Init.MaxConnections),
                    Set<LimitsConfig, int>(nameof(LimitsConfig.MessagesPerSecond), Init.MessagesPerSecond)),
                _ => throw new NotSupportedException($"{type}: a record of the contract needs its properties listed in {nameof(ConfigJson)}"),
            };
        }

        private static JsonTypeInfo<T> Record<T>(JsonTypeInfo<T> generated, JsonSerializerOptions options, Func<T> create, params Property<T>[] properties)
            where T : class
        {
            if (generated.Properties.Count != properties.Length)
            {
                throw Drift(typeof(T), $"{generated.Properties.Count} generated properties, {properties.Length} listed");
            }

            var info = JsonMetadataServices.CreateObjectInfo(options, new JsonObjectInfoValues<T>
            {
                ObjectCreator = create,
                PropertyMetadataInitializer = _ => [.. properties.Select((p, i) => p.Create(options, generated.Properties[i]))],
            });
            info.NumberHandling = generated.NumberHandling;
            info.UnmappedMemberHandling = generated.UnmappedMemberHandling;
            info.PreferredPropertyObjectCreationHandling = generated.PreferredPropertyObjectCreationHandling;
            return info;
        }

        /// <param name="init">The init accessor; null for a property the generated metadata ignores.</param>
        private static Property<T> Set<T, TValue>(string name, Action<T, TValue>? init) => new Property<T, TValue>(name, init);

        private static InvalidOperationException Drift(Type type, string what) =>
            new($"{nameof(ConfigJson)} is out of step with {type}: {what}");

        private abstract class Property<T>
        {
            public abstract JsonPropertyInfo Create(JsonSerializerOptions options, JsonPropertyInfo generated);
        }

        private sealed class Property<T, TValue>(string name, Action<T, TValue>? init) : Property<T>
        {
            public override JsonPropertyInfo Create(JsonSerializerOptions options, JsonPropertyInfo generated)
            {
                var ignored = generated.Get is null && generated.Set is null;
                if (generated.PropertyType != typeof(TValue) || !string.Equals(generated.Name, name, StringComparison.OrdinalIgnoreCase) || ignored != init is null)
                {
                    throw Drift(typeof(T), $"generated '{generated.Name}' ({generated.PropertyType}), listed '{name}' ({typeof(TValue)})");
                }

                var get = generated.Get;
                var property = JsonMetadataServices.CreatePropertyInfo(options, new JsonPropertyInfoValues<TValue>
                {
                    IsProperty = true,
                    IsPublic = true,
                    DeclaringType = typeof(T),
                    PropertyName = name,
                    JsonPropertyName = generated.Name,
                    Getter = get is null ? null : o => (TValue)get(o)!,
                    Setter = init is null ? null : (o, value) => init((T)o, value!),
                    IgnoreCondition = ignored ? JsonIgnoreCondition.Always : null,
                    NumberHandling = generated.NumberHandling,
                    Converter = generated.CustomConverter as JsonConverter<TValue>,
                });
                property.IsRequired = generated.IsRequired;
                property.IsGetNullable = generated.IsGetNullable;
                property.IsSetNullable = generated.IsSetNullable;
                property.Order = generated.Order;
                property.ObjectCreationHandling = generated.ObjectCreationHandling;
                return property;
            }
        }
    }

    /// <summary>The init accessors of the contract's records, called on a record just created, as the reflection serializer does.</summary>
    private static class Init
    {
        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Revision")]
        public static extern void Revision(SidecarConfigDocument target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Routes")]
        public static extern void Routes(SidecarConfigDocument target, IReadOnlyList<RouteConfig> value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Type")]
        public static extern void Type(ChannelMessage target, string value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Document")]
        public static extern void Document(ChannelMessage target, SidecarConfigDocument? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Revision")]
        public static extern void Revision(ChannelMessage target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Reasons")]
        public static extern void Reasons(ChannelMessage target, IReadOnlyList<string>? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Upstreams")]
        public static extern void Upstreams(ChannelMessage target, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Name")]
        public static extern void Name(RouteConfig target, string value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Namespace")]
        public static extern void Namespace(RouteConfig target, string value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Match")]
        public static extern void Match(RouteConfig target, RouteMatch value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Tls")]
        public static extern void Tls(RouteConfig target, DownstreamTlsConfig? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Upstream")]
        public static extern void Upstream(RouteConfig target, UpstreamConfig value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_WebSocket")]
        public static extern void WebSocket(RouteConfig target, WebSocketOptions value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Headers")]
        public static extern void Headers(RouteConfig target, HeadersConfig value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Timeouts")]
        public static extern void Timeouts(RouteConfig target, TimeoutsConfig value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Limits")]
        public static extern void Limits(RouteConfig target, LimitsConfig value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Hosts")]
        public static extern void Hosts(RouteMatch target, IReadOnlyList<string> value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Path")]
        public static extern void Path(RouteMatch target, string value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_PathType")]
        public static extern void PathType(RouteMatch target, PathType value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Headers")]
        public static extern void Headers(RouteMatch target, IReadOnlyList<HeaderMatch> value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Name")]
        public static extern void Name(HeaderMatch target, string value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Value")]
        public static extern void Value(HeaderMatch target, string value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_CertificatePem")]
        public static extern void CertificatePem(DownstreamTlsConfig target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_PrivateKeyPem")]
        public static extern void PrivateKeyPem(DownstreamTlsConfig target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_CertificateFile")]
        public static extern void CertificateFile(DownstreamTlsConfig target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_PrivateKeyFile")]
        public static extern void PrivateKeyFile(DownstreamTlsConfig target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_MinVersion")]
        public static extern void MinVersion(DownstreamTlsConfig target, string value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Endpoints")]
        public static extern void Endpoints(UpstreamConfig target, IReadOnlyList<EndpointConfig> value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_LoadBalancing")]
        public static extern void LoadBalancing(UpstreamConfig target, LoadBalancing value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_SessionAffinity")]
        public static extern void SessionAffinity(UpstreamConfig target, SessionAffinityConfig? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Tls")]
        public static extern void Tls(UpstreamConfig target, UpstreamTlsConfig? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Retry")]
        public static extern void Retry(UpstreamConfig target, RetryConfig value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Url")]
        public static extern void Url(EndpointConfig target, string value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Weight")]
        public static extern void Weight(EndpointConfig target, int value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_HttpVersion")]
        public static extern void HttpVersion(EndpointConfig target, string value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Header")]
        public static extern void Header(SessionAffinityConfig target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Cookie")]
        public static extern void Cookie(SessionAffinityConfig target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_CaPem")]
        public static extern void CaPem(UpstreamTlsConfig target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_CaFile")]
        public static extern void CaFile(UpstreamTlsConfig target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_ClientCertificatePem")]
        public static extern void ClientCertificatePem(UpstreamTlsConfig target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_ClientKeyPem")]
        public static extern void ClientKeyPem(UpstreamTlsConfig target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_ClientCertificateFile")]
        public static extern void ClientCertificateFile(UpstreamTlsConfig target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_ClientKeyFile")]
        public static extern void ClientKeyFile(UpstreamTlsConfig target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_ServerName")]
        public static extern void ServerName(UpstreamTlsConfig target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_InsecureSkipVerify")]
        public static extern void InsecureSkipVerify(UpstreamTlsConfig target, bool value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Attempts")]
        public static extern void Attempts(RetryConfig target, int value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_InitialInterval")]
        public static extern void InitialInterval(RetryConfig target, string value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Growth")]
        public static extern void Growth(RetryConfig target, double value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Subprotocols")]
        public static extern void Subprotocols(WebSocketOptions target, IReadOnlyList<string> value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_AllowedOrigins")]
        public static extern void AllowedOrigins(WebSocketOptions target, IReadOnlyList<string> value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_MaxMessageBytes")]
        public static extern void MaxMessageBytes(WebSocketOptions target, long value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_KeepAliveInterval")]
        public static extern void KeepAliveInterval(WebSocketOptions target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Set")]
        public static extern void Set(HeadersConfig target, IReadOnlyDictionary<string, string> value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Remove")]
        public static extern void Remove(HeadersConfig target, IReadOnlyList<string> value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Connect")]
        public static extern void Connect(TimeoutsConfig target, string value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Handshake")]
        public static extern void Handshake(TimeoutsConfig target, string value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Idle")]
        public static extern void Idle(TimeoutsConfig target, string value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Drain")]
        public static extern void Drain(TimeoutsConfig target, string value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_MaxConnections")]
        public static extern void MaxConnections(LimitsConfig target, int value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_MessagesPerSecond")]
        public static extern void MessagesPerSecond(LimitsConfig target, int value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Messages")]
        public static extern void Messages(RouteConfig target, MessagesConfig? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_OnLost")]
        public static extern void OnLost(UpstreamConfig target, UpstreamLost? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Failover")]
        public static extern void Failover(UpstreamConfig target, FailoverConfig? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_CloseCodes")]
        public static extern void CloseCodes(FailoverConfig target, IReadOnlyList<int> value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Notify")]
        public static extern void Notify(FailoverConfig target, bool value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_BufferMessages")]
        public static extern void BufferMessages(FailoverConfig target, int value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_BufferBytes")]
        public static extern void BufferBytes(FailoverConfig target, long value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_OnBufferFull")]
        public static extern void OnBufferFull(FailoverConfig target, BufferOverflow value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_ReplayFirstMessage")]
        public static extern void ReplayFirstMessage(FailoverConfig target, bool value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_MaxBytes")]
        public static extern void MaxBytes(MessagesConfig target, long value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Rules")]
        public static extern void Rules(MessagesConfig target, IReadOnlyList<MessageRuleConfig> value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Name")]
        public static extern void Name(MessageRuleConfig target, string value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Direction")]
        public static extern void Direction(MessageRuleConfig target, RuleDirection value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Match")]
        public static extern void Match(MessageRuleConfig target, MessageMatchConfig value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Action")]
        public static extern void Action(MessageRuleConfig target, RuleAction value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Text")]
        public static extern void Text(MessageRuleConfig target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_CloseCode")]
        public static extern void CloseCode(MessageRuleConfig target, int value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_CloseReason")]
        public static extern void CloseReason(MessageRuleConfig target, string value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Exact")]
        public static extern void Exact(MessageMatchConfig target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Prefix")]
        public static extern void Prefix(MessageMatchConfig target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Regex")]
        public static extern void Regex(MessageMatchConfig target, string? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Json")]
        public static extern void Json(MessageMatchConfig target, JsonFieldMatch? value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Field")]
        public static extern void Field(JsonFieldMatch target, string value);

        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_Value")]
        public static extern void Value(JsonFieldMatch target, string value);
    }
}
