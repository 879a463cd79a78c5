"""The chart's values.yaml has exactly the keys of Kaa's ECR chart, with Kaa's
defaults except for the few ecr changes or adds, each documented beside the
key."""

import re
import sys
import unittest

import yaml

from deploy_support import CHART, flatten, load_values

# Kaa's ECR chart values table (key, default), as published on Kaa's deployment
# page. The page's generator dropped template expressions from defaults
# ("-keycloak-backend", "[/]"), so ours are compared with `{{ ... }}` removed.
KAA_VALUES = {
  "affinity": {},
  "annotations.deployment": {},
  "annotations.pod": {},
  "config": "",
  "env.JAVA_OPTS.value":
    "-XX:MaxRAMPercentage=80.0 -XX:MinRAMPercentage=50.0 -Xverify:none -XX:TieredStopAtLevel=1",
  "exports.dependencies.mongodb.enabled": True,
  "extraPodSpecs.automountServiceAccountToken": False,
  "fullnameOverride": "",
  "global.epr.baseUrl": "",
  "global.iamcore.enabled": False,
  "global.image.pullSecrets": [],
  "global.kaaIngress.tls.issuerKind": "Issuer",
  "global.kaaIngress.tls.issuerName": "letsencrypt-stage",
  "global.kaaIngress.tls.selfSigned": False,
  "global.keycloak.backend.existingSecret": "-keycloak-backend",
  "global.keycloak.enabled": "",
  "global.keycloak.privateUrl": "",
  "global.keycloak.publicUrl": "",
  "global.keycloak.realm": "",
  "global.license.secretName": "",
  "global.mongodb.url": "",
  "global.monitoring.enabled": False,
  "global.nats.url": "",
  "global.tekton.enabled": "",
  "global.tekton.url": "",
  "global.tenantManager.baseUrl": "",
  "global.tenantManager.enabled": "",
  "image.pullPolicy": "IfNotPresent",
  "image.pullSecrets": [],
  "image.repository": "<Kaa's registry>/core/service//",
  "image.tag": "",
  "ingress.annotations": {},
  "ingress.enabled": False,
  "ingress.hosts[0]": "chart-example.local",
  "ingress.paths": [],
  "ingress.tls": [],
  "metadata.component": "backend",
  "metadata.partOf": "kaa",
  "mongodb.auth.enabled": False,
  "mongodb.enabled": True,
  "mongodb.image.pullPolicy": "IfNotPresent",
  "mongodb.image.tag": "3.6.10",
  "mongodb.persistence.enabled": True,
  "mongodb.url": "mongodb://-:27017",
  "mongodb.urlOverride": "",
  "mongodb.useStatefulSet": True,
  "monitoring.metrics.export.path": "/prometheus",
  "monitoring.metrics.type": "java",
  "monitoring.rules[0].alert": "ECR connection pool has totally more than 3 leased connections",
  "monitoring.rules[0].annotations.message":
    "Got more then 3 leased pool's connections error on the pod [/].",
  "monitoring.rules[0].annotations.runbook": "",
  "monitoring.rules[0].expr":
    "sum(httpcomponents_httpclient_pool_total_connections{httpclient=\"rest-client-connection-pool\", "
    "service=~\".*-ecr\", state=\"leased\"}) > 3",
  "monitoring.rules[0].for": "1m",
  "monitoring.rules[0].labels.severity": "error",
  "monitoring.rules[1].alert": "ECR connection pool has more than 1 pending connection",
  "monitoring.rules[1].annotations.message":
    "Got more then 1 pending pool's connection error on the pod [/].",
  "monitoring.rules[1].annotations.runbook": "",
  "monitoring.rules[1].expr":
    "sum(httpcomponents_httpclient_pool_total_pending{httpclient=\"rest-client-connection-pool\", "
    "service=~\".*-ecr\"}) > 1",
  "monitoring.rules[1].for": "1m",
  "monitoring.rules[1].labels.severity": "error",
  "monitoring.rules[2].alert": "ECR connection pool has totally more than 75% available connections",
  "monitoring.rules[2].annotations.message":
    "Got more then 75% available pool's connections error on the pod [/].",
  "monitoring.rules[2].annotations.runbook": "",
  "monitoring.rules[2].expr":
    "sum(httpcomponents_httpclient_pool_total_connections{httpclient=\"rest-client-connection-pool\", "
    "service=~\".*-ecr\", state=\"available\"}) > (0.75 * sum(httpclient_pool_total_max{"
    "httpclient=\"rest-client-connection-pool\", service=~\".*-ecr\"}))",
  "monitoring.rules[2].for": "1m",
  "monitoring.rules[2].labels.severity": "error",
  "monitoring.rules[3].alert": "ECR connection pool has routes with half leased connections",
  "monitoring.rules[3].annotations.message":
    "Got warning - appeared connection pool's routes with half leased connections on the pod [/].",
  "monitoring.rules[3].annotations.runbook": "",
  "monitoring.rules[3].expr":
    "sum(httpclient_pool_routes_with_half_leased_connections{service=~\".*-ecr\"}) > 0",
  "monitoring.rules[3].for": "1m",
  "monitoring.rules[3].labels.severity": "warning",
  "monitoring.rules[4].alert": "ECR connection pool has routes with all leased connections",
  "monitoring.rules[4].annotations.message":
    "Got warning - appeared connection pool's routes with all leased connections on the pod [/].",
  "monitoring.rules[4].annotations.runbook": "",
  "monitoring.rules[4].expr":
    "sum(httpclient_pool_routes_with_max_leased_connections{service=~\".*-ecr\"}) > 0",
  "monitoring.rules[4].for": "1m",
  "monitoring.rules[4].labels.severity": "error",
  "monitoring.rules[5].alert": "ECR connection pool has routes with pending connections",
  "monitoring.rules[5].annotations.message":
    "Got warning - appeared connection pool's routes with pending connections on the pod [/].",
  "monitoring.rules[5].annotations.runbook": "",
  "monitoring.rules[5].expr":
    "sum(httpclient_pool_routes_with_pending_connections{service=~\".*-ecr\"}) > 0",
  "monitoring.rules[5].for": "1m",
  "monitoring.rules[5].labels.severity": "error",
  "nameOverride": "",
  "nodeSelector": {},
  "probes.enabled": True,
  "probes.liveness.initialDelaySeconds": 600,
  "probes.liveness.periodSeconds": 3,
  "probes.readiness.initialDelaySeconds": 10,
  "probes.readiness.periodSeconds": 5,
  "replicaCount": 1,
  "resources.limits.cpu": 1,
  "resources.limits.memory": "700Mi",
  "resources.requests.cpu": "100m",
  "resources.requests.memory": "700Mi",
  "runbookUrl": "",
  "securityContext": {},
  "service.externalIPs": [],
  "service.loadBalancerIP": "",
  "service.port": 80,
  "service.type": "ClusterIP",
  "terminationMessagePolicy": "FallbackToLogsOnError",
  "tolerations": [],
  "updateStrategy.type": "RollingUpdate",
  "waitContainers.curl.image": "<Kaa's registry>/devops/docker/alpine-curl-jq/alpine-curl-jq",
  "waitContainers.curl.tag": "0.0.3",
  "waitContainers.enabled": True,
  "waitContainers.timeout": 300,
}

# Defaults ecr changes on purpose: the Java service's start time and heap, and
# the images, which are ecr's own. (Kaa's registry host is left out of this
# table: its values are not compared.)
CHANGED_DEFAULTS = {
  "image.repository",
  "waitContainers.curl.image",
  "probes.liveness.initialDelaySeconds",
  "probes.readiness.initialDelaySeconds",
  "resources.limits.memory",
  "resources.requests.memory",
}

# Defaults ecr adds under Kaa's keys (everything below these paths): the pod's
# user and grace period. They are values rather than template constants so
# that a user's value replaces them, and a null removes them, as Helm does.
ADDED_DEFAULTS = {
  "securityContext",
  "extraPodSpecs.terminationGracePeriodSeconds",
}

TEMPLATE_EXPRESSION = re.compile(r"\{\{.*?\}\}")


def without_templates(value):
  return TEMPLATE_EXPRESSION.sub("", value) if isinstance(value, str) else value


def leaf_lines():
  """Dotted key -> line numbers (0-based) of its key in values.yaml."""
  lines = {}

  def walk(node, path):
    if isinstance(node, yaml.MappingNode):
      for key, value in node.value:
        child = f"{path}.{key.value}" if path else key.value
        lines[child] = key.start_mark.line
        walk(value, child)
    elif isinstance(node, yaml.SequenceNode):
      for i, item in enumerate(node.value):
        walk(item, f"{path}[{i}]")

  walk(yaml.compose((CHART / "values.yaml").read_text()), "")
  return lines


class values_test(unittest.TestCase):
  def setUp(self):
    self.ours = flatten(load_values())

  def test_has_exactly_the_keys_of_kaas_table(self):
    # Kaa's empty map ecr fills is present through the keys below it.
    present = lambda key: key in self.ours or any(o.startswith(key + ".") for o in self.ours)
    added = lambda key: any(key == a or key.startswith(a + ".") for a in ADDED_DEFAULTS)
    missing = sorted(k for k in KAA_VALUES if not present(k))
    extra = sorted(k for k in self.ours if k not in KAA_VALUES and not added(k))
    self.assertEqual((missing, extra), ([], []),
                     f"values.yaml is missing {missing} and has extra {extra}")

  def test_keeps_kaas_types(self):
    wrong = {k: (type(v).__name__, type(self.ours[k]).__name__)
             for k, v in KAA_VALUES.items() if k in self.ours and type(v) is not type(self.ours[k])}
    self.assertEqual(wrong, {}, "key: (Kaa's type, ours)")

  def test_keeps_kaas_defaults_except_the_documented_changes(self):
    differing = {k: (v, self.ours[k]) for k, v in KAA_VALUES.items()
                 if k in self.ours and k not in CHANGED_DEFAULTS
                 and without_templates(self.ours[k]) != v}
    self.assertEqual(differing, {}, "key: (Kaa's default, ours)")

  def test_changed_defaults_name_kaas_default_beside_the_key(self):
    text = (CHART / "values.yaml").read_text().splitlines()
    lines = leaf_lines()
    undocumented = []
    for key in sorted(CHANGED_DEFAULTS | ADDED_DEFAULTS):
      line = lines[key]
      # The key's own line or the comment lines right above it.
      block = [text[line]]
      above = line - 1
      while above >= 0 and text[above].strip().startswith("#"):
        block.append(text[above])
        above -= 1
      if not any("Kaa: " in part for part in block):
        undocumented.append(key)
    self.assertEqual(undocumented, [], "changed defaults without a 'Kaa: <default>' comment")

  def test_java_only_keys_are_marked_ignored(self):
    text = (CHART / "values.yaml").read_text().splitlines()
    lines = leaf_lines()
    for key in ("env.JAVA_OPTS.value", "monitoring.metrics.type"):
      line = lines[key]
      context = "\n".join(text[max(0, line - 1):line + 1])
      self.assertIn("ignored", context, key)


if __name__ == "__main__":
  unittest.main(argv=sys.argv[:1], verbosity=2)
