"""docs/configuration.md covers every key of the settings' key table (with its
environment variables) and every variable of Kaa's ECR image, so a key added
to settings/key_table.cpp without documentation fails here."""

import re
import sys
import unittest

from deploy_support import REPO

CONFIGURATION = REPO / "docs" / "configuration.md"
SETTINGS = REPO / "settings" / "key_table.cpp"

# The variables Kaa's ECR image documents (Kaa's deployment page).
KAA_VARIABLES = [
  "INSTANCE_NAME", "APP_CONFIG_PATH", "KAA_TEKTON_ENABLED", "KAA_TEKTON_URL",
  "KAA_SECURITY_ENABLED", "KAA_SECURITY_ISSUER_PUBLIC_URL", "KAA_SECURITY_ISSUER_PRIVATE_URL",
  "KAA_SECURITY_CLIENT_ID", "KAA_SECURITY_CLIENT_SECRET", "KAA_SECURITY_IAMCORE_ENABLED",
  "KAA_SECURITY_IAMCORE_API_KEY", "KAA_SECURITY_IAMCORE_URL", "KAA_SECURITY_IAMCORE_APPLICATION",
  "KAA_SECURITY_MULTITENANCY_ENABLED", "KAA_SECURITY_MULTITENANCY_TENANT_MANAGER_URL",
  "JMX_ENABLE", "JMX_PORT", "JMX_MONITOR_USER_PASSWORD", "JAVA_OPTIONS", "NATS_USERNAME",
  "NATS_PASSWORD", "MONGODB_USERNAME", "MONGODB_PASSWORD", "KAA_LICENSE_CERT_PATH",
  "KAA_LICENSE_CERT_PASSWORD",
]

# An entry of the key table: {"server.port", {"ALIAS", ...}, ...
KEY_ENTRY = re.compile(r'\{"([a-z0-9.\-]+)",\s*\{([^}]*)\}')


def key_table():
  """(key, env aliases) of every entry in settings/key_table.cpp's key table."""
  return [(key, re.findall(r'"([A-Z0-9_]+)"', aliases))
          for key, aliases in KEY_ENTRY.findall(SETTINGS.read_text())]


def relaxed(key):
  return re.sub(r"[.\-]", "_", key).upper()


class docs_test(unittest.TestCase):
  def setUp(self):
    self.text = CONFIGURATION.read_text()

  def test_the_key_table_is_found(self):
    keys = [key for key, _ in key_table()]
    self.assertIn("server.port", keys)
    self.assertIn(("service.instance.name", ["INSTANCE_NAME"]), key_table())

  def test_every_key_and_its_variables_are_documented(self):
    missing = []
    for key, aliases in key_table():
      for name in [key, relaxed(key)] + aliases:
        if f"`{name}`" not in self.text:
          missing.append(name)
    self.assertEqual(missing, [])

  def test_every_kaa_variable_is_documented(self):
    self.assertEqual([v for v in KAA_VARIABLES if v not in self.text], [])

  def test_java_only_variables_are_called_meaningless(self):
    rows = [l for l in self.text.splitlines() if l.startswith(("| `JMX_ENABLE`", "| `JAVA_OPTIONS`"))]
    self.assertEqual(len(rows), 2)
    for row in rows:
      self.assertIn("meaningless", row)


if __name__ == "__main__":
  unittest.main(argv=sys.argv[:1], verbosity=2)
