"""The official Kubernetes Python client against an API server: the cases where a lenient server would accept what
a real one refuses. Prints one JSON object: case -> HTTP status (or what was seen). Usage: py_kube_client.py KUBECONFIG"""
import json
import sys

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException


def status_of(call):
    try:
        call()
        return 200
    except ApiException as e:
        return e.status


config.load_kube_config(sys.argv[1])
core = client.CoreV1Api()
results = {}
meta = client.V1ObjectMeta

results["pod_without_containers"] = status_of(lambda: core.create_namespaced_pod(
    "default", client.V1Pod(metadata=meta(name="empty"), spec=client.V1PodSpec(containers=[]))))
results["tls_secret_without_keys"] = status_of(lambda: core.create_namespaced_secret(
    "default", client.V1Secret(metadata=meta(name="tls"), type="kubernetes.io/tls", data={})))
core.create_namespaced_secret("default", client.V1Secret(metadata=meta(name="fixed"), data={"a": "MQ=="}, immutable=True))
results["immutable_secret_changed"] = status_of(lambda: core.patch_namespaced_secret("fixed", "default", {"data": {"a": "Mg=="}}))
results["lease_negative_duration"] = status_of(lambda: client.CoordinationV1Api().create_namespaced_lease(
    "default", client.V1Lease(metadata=meta(name="l"), spec=client.V1LeaseSpec(lease_duration_seconds=-1))))
results["custom_resource_wrong_version"] = status_of(lambda: client.CustomObjectsApi().create_namespaced_custom_object(
    "k8swsproxy.io", "v1alpha1", "default", "websocketroutes",
    {"apiVersion": "k8swsproxy.io/v9", "kind": "WebSocketRoute", "metadata": {"name": "v9"}, "spec": {}}))

# The client sends watch=True and allowWatchBookmarks=True: a watch, not a list.
events = [e["type"] for e in watch.Watch().stream(core.list_namespace, timeout_seconds=1, allow_watch_bookmarks=True)]
results["watch_true_events"] = sorted(set(events))

token = core.create_namespaced_service_account_token(
    "default", "default", client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[]))).status.token
restricted = client.Configuration.get_default_copy()
restricted.api_key = {"authorization": "Bearer " + token}
results["service_account_lists_secrets"] = status_of(
    lambda: client.CoreV1Api(client.ApiClient(restricted)).list_namespaced_secret("default"))

print(json.dumps(results))
