"""The chart rendered for real (helm-render, Helm's engine on Debian's Go and
sprig) with the value sets Kaa users pass, and the objects checked: the
container's variables against docs/configuration.md, probes on ecr's health
routes, the license at /run/license, the service configuration, Kaa's alert
rules, replicas and update strategy, and the values the chart must refuse.
ECR_HELM_RENDER names the renderer (set by ctest)."""

import re
import sys
import unittest

import yaml

from deploy_support import REPO, load_values, render, strict_loader
from test_docs import KAA_VARIABLES
from test_values import KAA_VALUES

CONFIGURATION = (REPO / "docs" / "configuration.md").read_text()
OPERATIONS = (REPO / "docs" / "operations.md").read_text()
PRODUCTION = REPO / "tests" / "deploy" / "values" / "kaa-production.yaml"

HEALTH_ROUTES = {"livenessProbe": "/health", "readinessProbe": "/health/ready",
                 "startupProbe": "/health/startup"}
KAA_ALERTS = [KAA_VALUES[f"monitoring.rules[{i}].alert"] for i in range(6)]


# -- The container's variables against docs/configuration.md ----------------

def _cells(row):
  return [c.strip() for c in row.strip().strip("|").split("|")]


def documented_ranges():
  """Variable -> the Range cell of its row in the key tables."""
  ranges, columns = {}, None
  for line in CONFIGURATION.splitlines():
    if not line.startswith("|"):
      columns = None
    elif columns is None:
      columns = _cells(line)
    elif "Environment" in columns and "Range" in columns and not line.startswith("|--"):
      cells = _cells(line)
      for name in re.findall(r"`([A-Z0-9_]+)`", cells[columns.index("Environment")]):
        ranges[name] = cells[columns.index("Range")]
  return ranges


def range_check(text):
  """A predicate for a Range cell's wording, or None when it has none."""
  if m := re.fullmatch(r"`(\^.*\$)`", text):
    return lambda v: re.fullmatch(m.group(1), v) is not None
  if re.fullmatch(r"`[^`]+`(, `[^`]+`)*", text):
    return lambda v: v in re.findall(r"`([^`]+)`", text)
  if m := re.fullmatch(r"(\d+)–(\d+)", text):
    low, high = int(m.group(1)), int(m.group(2))
    return lambda v: v.isdigit() and low <= int(v) <= high
  if text in ("an http(s) URL", "an `http://` or `https://` URL"):
    return lambda v: re.fullmatch(r"https?://[^/\s]+(/\S*)?", v) is not None
  if text == "a `mongodb://` or `mongodb+srv://` connection string":
    return lambda v: re.fullmatch(r"mongodb(\+srv)?://[^/\s]+(/\S*)?", v) is not None
  if text == "at least one URL":
    return lambda v: all(re.fullmatch(r"[a-z]+://\S+", u) for u in v.split(","))
  if text.startswith("an absolute path"):
    return lambda v: v.startswith("/")
  if text == "not empty":
    return lambda v: v != ""
  return None


def env_problems(env):
  """Variables the docs do not name, and values outside their documented range."""
  ranges = documented_ranges()
  problems = []
  for name, value in env.items():
    if f"`{name}`" not in CONFIGURATION:
      problems.append(f"{name} is not in docs/configuration.md")
    elif isinstance(value, str) and name in ranges:
      check = range_check(ranges[name])
      if check is None:
        problems.append(f"{name}: no check for the range {ranges[name]!r}")
      elif not check(value):
        problems.append(f"{name}={value!r} is outside {ranges[name]!r}")
  return problems


# -- Checks every rendering must pass ----------------------------------------

class chart_test(unittest.TestCase):
  def assert_sound(self, r):
    """What any rendering must satisfy, whatever the values."""
    self.assertEqual(r.returncode, 0, r.error)
    deployment, pod = r.one("Deployment"), r.pod()
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    for selector in (deployment["spec"]["selector"]["matchLabels"], r.one("Service")["spec"]["selector"]):
      self.assertLessEqual(selector.items(), labels.items())
    volumes = {v["name"] for v in pod["volumes"]}
    for c in pod["containers"] + pod.get("initContainers", []):
      self.assertLessEqual({m["name"] for m in c.get("volumeMounts", [])}, volumes, c["name"])
    ports = {p["name"] for p in r.container()["ports"]}
    self.assertIn(r.one("Service")["spec"]["ports"][0]["targetPort"], ports)
    self.assertEqual(env_problems(r.env()), [])

  def probes(self, r):
    c = r.container()
    return {kind: c[kind] for kind in HEALTH_ROUTES if kind in c}

  def assert_probes_on_health_routes(self, r):
    probes = self.probes(r)
    self.assertEqual({k: p["httpGet"]["path"] for k, p in probes.items()}, HEALTH_ROUTES)
    self.assertEqual({p["httpGet"]["port"] for p in probes.values()}, {"http"})

  def init_containers(self, r):
    return {c["name"]: c["command"] for c in r.pod().get("initContainers", [])}


class default_values_test(chart_test):
  def setUp(self):
    self.r = render()

  def test_renders_sound_objects(self):
    self.assert_sound(self.r)
    self.assertEqual(sorted(o["kind"] for o in self.r.objects),
                     ["ConfigMap", "Deployment", "Service"])

  def test_stores_in_the_bundled_mongodb(self):
    env = self.r.env()
    self.assertEqual(env["MONGODB_URL"], "mongodb://kaa-ecr-mongodb:27017")
    self.assertNotIn("STORAGE_SQLITE_PATH", env)
    self.assertEqual(list(self.init_containers(self.r)), ["wait-mongodb"])
    spec = self.r.one("Deployment")["spec"]
    self.assertEqual((spec["replicas"], spec["strategy"]), (1, {"type": "RollingUpdate"}))

  def test_security_is_off_without_keycloak(self):
    env = self.r.env()
    self.assertEqual(env["KAA_SECURITY_ENABLED"], "false")
    self.assertEqual([n for n in env if n.startswith("KAA_SECURITY_ISSUER")], [])

  def test_pod_runs_as_the_images_user(self):
    pod = self.r.pod()
    self.assertEqual(pod["securityContext"], {"runAsNonRoot": True, "runAsUser": 10001,
                                              "runAsGroup": 10001, "fsGroup": 10001})
    self.assertEqual(pod["terminationGracePeriodSeconds"], 45)
    self.assertIs(pod["automountServiceAccountToken"], False)
    self.assertIs(self.r.container()["securityContext"]["readOnlyRootFilesystem"], True)

  def test_probes_on_the_health_routes(self):
    self.assert_probes_on_health_routes(self.r)
    probes = self.probes(self.r)
    liveness, startup = probes["livenessProbe"], probes["startupProbe"]
    self.assertEqual((liveness["initialDelaySeconds"], liveness["periodSeconds"]), (10, 3))
    # Liveness waits for the start, which may include a long schema migration.
    self.assertGreaterEqual(startup["periodSeconds"] * startup["failureThreshold"], 300)

  def test_service_config_is_empty(self):
    self.assertEqual(self.r.one("ConfigMap")["data"]["service-config.yml"].strip(), "")


class production_values_test(chart_test):
  """Kaa's production set: tests/deploy/values/kaa-production.yaml."""

  def setUp(self):
    self.r = render(values=[PRODUCTION], release="kaa")

  def test_renders_sound_objects(self):
    self.assert_sound(self.r)
    self.assertEqual(sorted(o["kind"] for o in self.r.objects),
                     ["ConfigMap", "Deployment", "Ingress", "PrometheusRule", "Service",
                      "ServiceMonitor"])

  def test_variables(self):
    env = self.r.env()
    secret = lambda name, key: {"secretKeyRef": {"name": name, "key": key}}
    expected = {
      "NATS_URLS": "nats://kaa-nats:4222",
      "MONGODB_URL": "mongodb://kaa-mongodb-0.kaa-mongodb-headless:27017,"
                     "kaa-mongodb-1.kaa-mongodb-headless:27017/ecr?replicaSet=rs0",
      "KAA_ECR_EP_REGISTER_BASE_URL": "http://kaa-epr",
      "KAA_SECURITY_ENABLED": "true",
      "KAA_SECURITY_ISSUER_PUBLIC_URL": "https://auth.kaa.example.com/auth/realms/kaa",
      "KAA_SECURITY_ISSUER_PRIVATE_URL": "http://kaa-keycloak-http/auth/realms/kaa",
      "KAA_SECURITY_CLIENT_ID": secret("kaa-keycloak-backend", "client-id"),
      "KAA_SECURITY_CLIENT_SECRET": secret("kaa-keycloak-backend", "client-secret"),
      "KAA_SECURITY_MULTITENANCY_ENABLED": "true",
      "KAA_SECURITY_MULTITENANCY_TENANT_MANAGER_URL": "http://kaa-tenant-manager",
      "KAA_TEKTON_ENABLED": "true",
      "KAA_TEKTON_URL": "http://kaa-tekton",
      "KAA_LICENSE_CERT_PASSWORD": secret("license", "password"),
      "METRICS_SERVICE_LABEL": "kaa-ecr",
      "REPLICA_ID": {"fieldRef": {"fieldPath": "metadata.name"}},
    }
    self.assertEqual({k: env.get(k) for k in expected}, expected)
    self.assertNotIn("STORAGE_SQLITE_PATH", env)

  def test_license_file_at_run_license(self):
    pod, c = self.r.pod(), self.r.container()
    volume = next(v for v in pod["volumes"] if v["name"] == "license")
    self.assertEqual(volume["secret"], {"secretName": "license",
                                        "items": [{"key": "file", "path": "license.p12"}]})
    mount = next(m for m in c["volumeMounts"] if m["name"] == "license")
    self.assertEqual((mount["mountPath"], mount["readOnly"]), ("/run/license", True))
    self.assertEqual(self.r.env()["KAA_LICENSE_CERT_PATH"], "/run/license/license.p12")

  def test_service_config_rendered_through_tpl(self):
    config = yaml.safe_load(self.r.one("ConfigMap")["data"]["service-config.yml"])
    self.assertEqual(config, {"logging": {"level": "info", "format": "json"},
                              "kaa": {"ecr": {"ep-register": {"service-instance": {"name": "kaa-epr"}}}}})
    mount = next(m for m in self.r.container()["volumeMounts"] if m["name"] == "config")
    self.assertEqual(mount["mountPath"] + "/service-config.yml", self.r.env()["APP_CONFIG_PATH"])

  def test_a_changed_config_rolls_the_pods(self):
    other = render(values=[PRODUCTION, {"config": "logging: {level: debug}\n"}], release="kaa")
    checksum = lambda r: r.one("Deployment")["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    self.assertRegex(checksum(self.r), r"^[0-9a-f]{64}$")
    self.assertNotEqual(checksum(self.r), checksum(other))

  def test_kaas_six_alert_rules(self):
    rule = self.r.one("PrometheusRule")
    rules = [r for group in rule["spec"]["groups"] for r in group["rules"]]
    self.assertEqual([r["alert"] for r in rules], KAA_ALERTS)
    for r in rules:
      self.assertEqual(r["for"], "1m")
      self.assertIn(r["labels"]["severity"], ("error", "warning"))
      self.assertEqual(r["annotations"]["runbook"], "https://runbooks.example.com/ecr")
      # Prometheus fills these in, so Helm must leave them alone.
      self.assertIn("[{{ $labels.namespace }}/{{ $labels.pod }}]", r["annotations"]["message"])
    self.assertEqual([r["expr"] for r in rules], [r["expr"] for r in load_values()["monitoring"]["rules"]])

  def test_scraped_by_the_service_monitor(self):
    endpoints = self.r.one("ServiceMonitor")["spec"]["endpoints"]
    self.assertEqual(endpoints, [{"port": "http", "path": "/prometheus"}])
    self.assertEqual(self.r.env()["METRICS_PATH"], "/prometheus")

  def test_ingress_with_cert_manager(self):
    ingress = self.r.one("Ingress")
    self.assertEqual(ingress["metadata"]["annotations"],
                     {"cert-manager.io/cluster-issuer": "letsencrypt-prod"})
    self.assertEqual(ingress["spec"]["tls"], [{"secretName": "kaa-example-tls",
                                               "hosts": ["kaa.example.com"]}])
    [rule] = ingress["spec"]["rules"]
    self.assertEqual(rule["host"], "kaa.example.com")
    self.assertEqual([(p["path"], p["backend"]["service"]) for p in rule["http"]["paths"]],
                     [("/ecr", {"name": "kaa-ecr", "port": {"name": "http"}})])

  def test_replicas_and_waits(self):
    spec = self.r.one("Deployment")["spec"]
    self.assertEqual((spec["replicas"], spec["strategy"]["type"]), (3, "RollingUpdate"))
    waits = self.init_containers(self.r)
    self.assertEqual(list(waits), ["wait-nats", "wait-mongodb"])
    self.assertIn("nats://kaa-nats:4222", waits["wait-nats"])
    self.assertEqual(self.r.pod()["imagePullSecrets"], [{"name": "kaa-pull"}, {"name": "kaaid"}])
    self.assert_probes_on_health_routes(self.r)


class sqlite_test(chart_test):
  """No MongoDB URL: the embedded store on a volume."""

  def setUp(self):
    self.r = render("mongodb.enabled=false", "global.nats.url=nats://kaa-nats:4222")

  def test_keeps_the_database_on_a_volume(self):
    self.assert_sound(self.r)
    claim = self.r.one("PersistentVolumeClaim")
    self.assertEqual(claim["metadata"]["name"], "kaa-ecr-data")
    self.assertEqual(claim["spec"]["accessModes"], ["ReadWriteOnce"])
    self.assertEqual(claim["metadata"]["annotations"]["helm.sh/resource-policy"], "keep")
    data = next(v for v in self.r.pod()["volumes"] if v["name"] == "data")
    self.assertEqual(data["persistentVolumeClaim"]["claimName"], "kaa-ecr-data")
    mount = next(m for m in self.r.container()["volumeMounts"] if m["name"] == "data")
    env = self.r.env()
    self.assertEqual(env["STORAGE_SQLITE_PATH"], mount["mountPath"] + "/ecr.db")
    self.assertNotIn("MONGODB_URL", env)
    self.assertEqual(list(self.init_containers(self.r)), ["wait-nats"])

  def test_old_pod_stops_before_the_new_one_starts(self):
    # Two pods must never open the database file, nor wait on its volume.
    self.assertEqual(self.r.one("Deployment")["spec"]["strategy"], {"type": "Recreate"})
    r = render("mongodb.enabled=false", "updateStrategy.type=RollingUpdate",
               "updateStrategy.rollingUpdate.maxSurge=1")
    self.assertEqual(r.one("Deployment")["spec"]["strategy"], {"type": "Recreate"})

  def test_more_than_one_replica_is_refused(self):
    r = render("mongodb.enabled=false", "replicaCount=2")
    self.assertEqual(r.returncode, 1)
    self.assertRegex(r.error, r"^Error: execution error at \(ecr/templates/deployment\.yaml:\d+:\d+\): "
                              r"replicaCount > 1 needs MongoDB")
    self.assertEqual(render("replicaCount=2").one("Deployment")["spec"]["replicas"], 2)


class mongodb_srv_test(chart_test):
  def test_no_tcp_wait_on_an_srv_name(self):
    # An SRV name has no address record: a TCP wait on it would never end.
    url = "mongodb+srv://ecr:secret@cluster0.example.com/ecr?retryWrites=true"
    r = render(f"global.mongodb.url={url}", "global.nats.url=nats://kaa-nats:4222")
    self.assert_sound(r)
    self.assertEqual(r.env()["MONGODB_URL"], url)
    self.assertEqual(list(self.init_containers(r)), ["wait-nats"])
    self.assertNotIn("PersistentVolumeClaim", [o["kind"] for o in r.objects])


class keycloak_test(chart_test):
  KEYCLOAK = ("global.keycloak.enabled=true", "global.keycloak.publicUrl=https://auth.example.com/auth/",
              "global.keycloak.realm=kaa")

  def test_private_url_defaults_to_the_public_one(self):
    # ecr takes the public URL when the private one is unset; "/realms/kaa"
    # would make it exit 2.
    r = render(*self.KEYCLOAK)
    self.assert_sound(r)
    env = r.env()
    self.assertEqual(env["KAA_SECURITY_ISSUER_PUBLIC_URL"], "https://auth.example.com/auth/realms/kaa")
    self.assertNotIn("KAA_SECURITY_ISSUER_PRIVATE_URL", env)

  def test_public_url_and_realm_are_required(self):
    for value in ("publicUrl", "realm"):
      r = render(*[s for s in self.KEYCLOAK if value not in s])
      self.assertEqual(r.returncode, 1, value)
      self.assertIn(f"global.keycloak.{value} is required when global.keycloak.enabled", r.error)


class kaa_overrides_test(chart_test):
  """Values Kaa users set on pods, probes and resources."""

  def test_kaas_probe_delays_and_resources(self):
    r = render("probes.liveness.initialDelaySeconds=600", "probes.readiness.initialDelaySeconds=10",
               "resources.requests.memory=700Mi,resources.limits.memory=700Mi")
    self.assert_sound(r)
    probes = self.probes(r)
    self.assertEqual(probes["livenessProbe"]["initialDelaySeconds"], 600)
    self.assertEqual(probes["readinessProbe"]["initialDelaySeconds"], 10)
    self.assertEqual(r.container()["resources"], {"limits": {"cpu": 1, "memory": "700Mi"},
                                                  "requests": {"cpu": "100m", "memory": "700Mi"}})

  def test_probes_disabled(self):
    r = render("probes.enabled=false")
    self.assert_sound(r)
    self.assertEqual(self.probes(r), {})

  def test_users_security_context_wins_whatever_its_value(self):
    r = render("securityContext.runAsNonRoot=false,securityContext.runAsUser=0",
               "extraPodSpecs.terminationGracePeriodSeconds=0")
    self.assert_sound(r)
    pod = r.pod()
    self.assertEqual(pod["securityContext"], {"runAsNonRoot": False, "runAsUser": 0,
                                              "runAsGroup": 10001, "fsGroup": 10001})
    self.assertEqual(pod["terminationGracePeriodSeconds"], 0)

  def test_null_removes_the_charts_ids(self):
    # OpenShift assigns the user, group and fsGroup of its own range.
    r = render(values=[{"securityContext": {"runAsUser": None, "runAsGroup": None, "fsGroup": None},
                        "extraPodSpecs": {"terminationGracePeriodSeconds": None}}])
    self.assert_sound(r)
    self.assertEqual(r.pod()["securityContext"], {"runAsNonRoot": True})
    self.assertNotIn("terminationGracePeriodSeconds", r.pod())

  def test_extra_pod_specs_security_context_joins_the_pods(self):
    r = render(values=[{"extraPodSpecs": {
      "priorityClassName": "kaa-high",
      "securityContext": {"runAsUser": 2000, "fsGroup": None, "seccompProfile": {"type": "RuntimeDefault"}}}}])
    self.assert_sound(r)  # parsed strictly: one securityContext key
    pod = r.pod()
    self.assertEqual(pod["securityContext"], {"runAsNonRoot": True, "runAsUser": 2000, "runAsGroup": 10001,
                                              "seccompProfile": {"type": "RuntimeDefault"}})
    self.assertEqual(pod["priorityClassName"], "kaa-high")

  def test_extra_pod_specs_may_not_repeat_a_field_the_chart_renders(self):
    r = render(values=[{"extraPodSpecs": {"tolerations": [{"operator": "Exists"}]}}])
    self.assert_sound(r)
    self.assertEqual(r.pod()["tolerations"], [{"operator": "Exists"}])
    for field, chart_value in (("tolerations", "tolerations[0].operator=Exists"),
                               ("imagePullSecrets", "image.pullSecrets[0]=kaaid"),
                               ("containers", "replicaCount=1")):
      r = render(chart_value, values=[{"extraPodSpecs": {field: [{"name": "x"}]}}])
      self.assertEqual(r.returncode, 1, field)
      self.assertIn(f"extraPodSpecs.{field}: the chart renders", r.error)

  def test_null_removes_a_default(self):
    r = render(values=[{"resources": {"limits": None}}])
    self.assertEqual(r.container()["resources"], {"requests": {"cpu": "100m", "memory": "64Mi"}})


class operations_doc_test(chart_test):
  """docs/operations.md against what the chart renders."""

  def values_row(self, value):
    """The row of the table "What the values do" for a value."""
    [row] = [l for l in OPERATIONS.splitlines() if l.startswith(f"| `{value}")]
    return row

  def test_install_command_and_the_names_used_later(self):
    m = re.search(r"helm install (\S+) deploy/helm/ecr((?: \\\n\s*--set \S+)*)", OPERATIONS)
    release, sets = m.group(1), re.findall(r"--set (\S+)", m.group(2))
    self.assertTrue(sets)
    # The embedded store, as the backup section assumes.
    r = render(*sets, "mongodb.enabled=false", release=release)
    self.assert_sound(r)
    deployment = r.one("Deployment")["metadata"]["name"]
    self.assertEqual(set(re.findall(r"kubectl (?:scale deployment |exec deploy/)([a-z0-9-]+)", OPERATIONS)), {deployment})
    claim = r.one("PersistentVolumeClaim")["metadata"]["name"]
    self.assertEqual(set(re.findall(r"claimName: ([a-z0-9-]+)", OPERATIONS)), {claim})
    labels = r.one("Deployment")["spec"]["template"]["metadata"]["labels"]
    for instance in re.findall(r"-l app\.kubernetes\.io/instance=([a-z0-9-]+)", OPERATIONS):
      self.assertEqual(labels["app.kubernetes.io/instance"], instance)

  def test_probes_row_names_the_rendered_probes(self):
    row = self.values_row("probes.*")
    for kind, probe in self.probes(render()).items():
      self.assertIn(f"`GET {probe['httpGet']['path']}`", row, kind)

  def test_wait_image_row(self):
    self.assertEqual(load_values()["waitContainers"]["curl"]["image"], "")
    r = render()
    self.assertEqual([c["image"] for c in r.pod()["initContainers"]], [r.container()["image"]])
    self.assertIn('default `""` runs the ecr image', self.values_row("waitContainers.*"))
    other = render("waitContainers.curl.image=alpine-curl")
    self.assertEqual([c["image"] for c in other.pod()["initContainers"]], ["alpine-curl:0.0.3"])


class configuration_doc_test(chart_test):
  def test_lists_the_variables_the_chart_adds_to_kaas(self):
    start = CONFIGURATION.index("The Helm chart also sets variables of its own")
    paragraph = CONFIGURATION[start:CONFIGURATION.index("\n\n", start)]
    names = set()
    for r in (render(values=[PRODUCTION]), render("mongodb.enabled=false")):
      names |= set(r.env())
    # Kaa's own variables, and those the chart passes through from values.
    ours = names - set(KAA_VARIABLES) - {"JAVA_OPTS"}
    self.assertIn("STORAGE_SQLITE_PATH", ours)
    self.assertEqual(sorted(n for n in ours if f"`{n}" not in paragraph), [])


class checks_catch_mistakes_test(unittest.TestCase):
  """The checks above on wrong input, so they are known to fail."""

  def test_env_problems(self):
    self.assertEqual(env_problems({"SERVER_PORT": "8080", "KAA_SECURITY_ENABLED": "true"}), [])
    self.assertEqual(len(env_problems({"SERVER_PORT": "80a", "KAA_SECURITY_ENABLED": "yes",
                                       "KAA_SECURITY_ISSUER_PRIVATE_URL": "/realms/kaa",
                                       "MONGODB_URL": "mongodb+srv//x", "NOT_A_SETTING": "1"})), 5)

  def test_ranges_are_found(self):
    ranges = documented_ranges()
    self.assertEqual(ranges["SERVER_PORT"], "0–65535")
    self.assertEqual(ranges["INSTANCE_NAME"], ranges["SERVICE_INSTANCE_NAME"])

  def test_duplicate_keys_are_refused(self):
    with self.assertRaises(yaml.constructor.ConstructorError):
      yaml.load("spec:\n  a: 1\n  a: 2\n", Loader=strict_loader)


if __name__ == "__main__":
  unittest.main(argv=sys.argv[:1], verbosity=2)
