#!/usr/bin/python3
"""Checks docker/k8s/fleetcrawl.yaml without a cluster (run by .ci/run).

1. Every field name and value type, against the API models of Debian's python3-kubernetes (the
   OpenAPI types Kubernetes publishes): a misspelt or misplaced field fails, naming its path.
2. The wiring a typo would break silently: the StatefulSet's service is the headless service,
   selectors match the pod labels, the discovery name is that service in the pod's namespace,
   probes run the image's health check, every container has resource limits, the heap fits
   the memory limit, and the pods run as the image's non-root user.

  /usr/bin/python3 docker/k8s/check-manifest.py docker/k8s/fleetcrawl.yaml
"""
import re
import sys

import kubernetes.client as k8s
import yaml

KINDS = {
    ("v1", "Service"): "V1Service",
    ("apps/v1", "StatefulSet"): "V1StatefulSet",
    ("networking.k8s.io/v1", "NetworkPolicy"): "V1NetworkPolicy",
}
PRIMITIVES = {"str": str, "int": int, "bool": bool, "float": (int, float), "object": object,
              "datetime": str, "date": str}
errors = []


def check(value, type_name, path):
    """Checks a value against a model or type name such as 'list[V1Container]'."""
    if value is None:
        return
    m = re.fullmatch(r"list\[(.+)\]", type_name)
    if m:
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            check(item, m.group(1), f"{path}[{i}]")
        return
    m = re.fullmatch(r"dict\(str, (.+)\)", type_name)
    if m:
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a map, got {type(value).__name__}")
            return
        for k, v in value.items():
            check(v, m.group(1), f"{path}.{k}")
        return
    if type_name in PRIMITIVES:
        if type_name == "int" and isinstance(value, bool) or not isinstance(value, PRIMITIVES[type_name]):
            errors.append(f"{path}: expected {type_name}, got {value!r}")
        return
    model = getattr(k8s, type_name, None)
    if model is None:
        errors.append(f"{path}: unknown model {type_name}")
        return
    if not isinstance(value, dict):
        # Quantities and int-or-string fields are modelled as 'object' or 'str'.
        errors.append(f"{path}: expected an object ({type_name}), got {value!r}")
        return
    by_json = {json: attr for attr, json in model.attribute_map.items()}
    for key, item in value.items():
        if key not in by_json:
            errors.append(f"{path}.{key}: no such field in {type_name}")
            continue
        check(item, model.openapi_types[by_json[key]], f"{path}.{key}")


def main(path):
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    objects = {}
    for i, doc in enumerate(docs):
        key = (doc.get("apiVersion"), doc.get("kind"))
        if key not in KINDS:
            errors.append(f"document {i}: unexpected {key}")
            continue
        check(doc, KINDS[key], f"{doc['kind']}/{doc.get('metadata', {}).get('name')}")
        objects[doc["kind"]] = doc

    svc, sts, policy = objects.get("Service"), objects.get("StatefulSet"), objects.get("NetworkPolicy")
    if not (svc and sts and policy):
        errors.append("expected a Service, a StatefulSet and a NetworkPolicy")
        return
    spec, pod = sts["spec"], sts["spec"]["template"]
    labels = pod["metadata"]["labels"]
    if svc["spec"].get("clusterIP") != "None":
        errors.append("the service must be headless (clusterIP: None)")
    if spec["serviceName"] != svc["metadata"]["name"]:
        errors.append("StatefulSet.serviceName must name the headless service")
    for what, selector in [("StatefulSet selector", spec["selector"]["matchLabels"]),
                           ("service selector", svc["spec"]["selector"]),
                           ("NetworkPolicy podSelector", policy["spec"]["podSelector"]["matchLabels"])]:
        if any(labels.get(k) != v for k, v in selector.items()):
            errors.append(f"the {what} {selector} does not match the pod labels {labels}")
    (node,) = pod["spec"]["containers"]
    env = {e["name"]: e for e in node["env"]}
    dns = env.get("FLEETCRAWL_KUBERNETES_SERVICE_DNS", {}).get("value", "")
    if dns != f"{svc['metadata']['name']}.$(POD_NAMESPACE).svc.cluster.local":
        errors.append(f"FLEETCRAWL_KUBERNETES_SERVICE_DNS is {dns!r}, not the headless service")
    if list(env).index("POD_NAMESPACE") > list(env).index("FLEETCRAWL_KUBERNETES_SERVICE_DNS"):
        errors.append("POD_NAMESPACE must come before the variables that refer to it")
    if env.get("FLEETCRAWL_INTERFACE", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") != "status.podIP":
        errors.append("FLEETCRAWL_INTERFACE must be the pod's IP")
    if "FLEETCRAWL_MEMBERS" in env:
        errors.append("give the service or a member list, not both")
    if "secretKeyRef" not in env.get("FLEETCRAWL_STATUS_TOKEN", {}).get("valueFrom", {}):
        errors.append("the status token must come from a secret")
    for probe in ("readinessProbe", "livenessProbe"):
        if node.get(probe, {}).get("exec", {}).get("command") != ["/app/healthcheck.sh"]:
            errors.append(f"{probe} must run the image's /app/healthcheck.sh")
    limits = node.get("resources", {}).get("limits", {})
    if "memory" not in limits or "cpu" not in limits:
        errors.append("the container needs cpu and memory limits")
    else:
        heap = re.search(r"-Xmx(\d+)([gm])", env["FLEETCRAWL_JAVA_OPTS"]["value"])
        heap_mi = int(heap.group(1)) * (1024 if heap.group(2) == "g" else 1)
        limit_mi = int(re.fullmatch(r"(\d+)Mi", limits["memory"]).group(1))
        if heap_mi > limit_mi * 0.75:
            errors.append(f"heap {heap_mi} MiB leaves too little of the {limit_mi} MiB limit")
    ctx = pod["spec"].get("securityContext", {})
    dockerfile = open(sys.argv[2] if len(sys.argv) > 2 else "docker/Dockerfile").read()
    user = re.search(r"^USER (\d+)", dockerfile, re.M)
    if not ctx.get("runAsNonRoot") or not user or ctx.get("runAsUser") != int(user.group(1)):
        errors.append("pods must run as the image's numeric non-root USER")
    ports = {p["name"]: p["containerPort"] for p in node["ports"]}
    for p in svc["spec"]["ports"]:
        if p["targetPort"] not in ports:
            errors.append(f"service port {p['name']} targets no container port")
    mounts = {m["name"] for m in node["volumeMounts"]}
    claims = {c["metadata"]["name"] for c in spec.get("volumeClaimTemplates", [])}
    volumes = {v["name"] for v in pod["spec"].get("volumes", [])}
    for m in mounts - claims - volumes:
        errors.append(f"volume mount {m} has no volume")


if __name__ == "__main__":
    main(sys.argv[1])
    if errors:
        print("\n".join(f"check-manifest: {e}" for e in errors), file=sys.stderr)
        sys.exit(1)
    print(f"check-manifest: {sys.argv[1]} passes")
