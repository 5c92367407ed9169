{{- define "k8s-ws-proxy.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "k8s-ws-proxy.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "k8s-ws-proxy.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* The operator's one address: its Service's name in the cluster DNS. */}}
{{- define "k8s-ws-proxy.host" -}}
{{ include "k8s-ws-proxy.fullname" . }}.{{ .Release.Namespace }}.svc
{{- end -}}

{{- define "k8s-ws-proxy.channelUrl" -}}
wss://{{ include "k8s-ws-proxy.host" . }}:{{ .Values.channel.port }}/v1/channel
{{- end -}}

{{- define "k8s-ws-proxy.tlsSecretName" -}}
{{ .Values.channel.tls.secretName | default (printf "%s-channel-tls" (include "k8s-ws-proxy.fullname" .)) }}
{{- end -}}

{{/*
The channel's CA and serving certificate as JSON {ca, crt, key}, PEM. A managed Secret: only its CA is known
(caCert). Otherwise the generated pair, read back from the Secret a previous install made, so an upgrade keeps the
certificate sidecars and the webhook configuration already trust; made anew only when there is none. Computed once
per render (kept in .Values._tls): every template that includes it must see the same pair.
*/}}
{{- define "k8s-ws-proxy.tls" -}}
{{- if not (hasKey .Values "_tls") -}}
{{- $tls := dict "ca" .Values.channel.tls.caCert -}}
{{- if not .Values.channel.tls.secretName -}}
{{- $secret := lookup "v1" "Secret" .Release.Namespace (include "k8s-ws-proxy.tlsSecretName" .) -}}
{{- if and $secret (index $secret.data "ca.crt") -}}
{{- $tls = dict "ca" (index $secret.data "ca.crt" | b64dec) "crt" (index $secret.data "tls.crt" | b64dec) "key" (index $secret.data "tls.key" | b64dec) -}}
{{- else -}}
{{- $name := include "k8s-ws-proxy.fullname" . -}}
{{- $ca := genCA "k8s-ws-proxy channel CA" (int .Values.channel.tls.validityDays) -}}
{{- $cert := genSignedCert (include "k8s-ws-proxy.host" .) nil (list (include "k8s-ws-proxy.host" .) (printf "%s.%s" $name .Release.Namespace) $name) (int .Values.channel.tls.validityDays) $ca -}}
{{- $tls = dict "ca" $ca.Cert "crt" $cert.Cert "key" $cert.Key -}}
{{- end -}}
{{- end -}}
{{- $_ := set .Values "_tls" $tls -}}
{{- end -}}
{{- .Values._tls | toJson -}}
{{- end -}}
