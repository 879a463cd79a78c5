"""The folders stack in layers (README, "Layout"): a source file includes
headers of its own folder and of folders below it, and of folders above it
only through actors/actors.hpp; actors/node.cpp, which wires everything
together, is the one exception."""

import pathlib
import re
import unittest

REPO = pathlib.Path(__file__).resolve().parents[2]

# Lower numbers are lower layers; folders of one layer never include each
# other.
LAYERS = {
    "core": 0,
    "applications": 1,
    "settings": 2,
    "security": 3,
    "storage": 3,
    "messaging": 4,
    "gateway": 4,
    "actors": 5,
    "app": 6,
}
WIRING = {"actors/node.cpp"}
INCLUDE = re.compile(r'^#include "([a-z_]+)/([^"]+)"', re.M)


def violations():
    found = []
    for folder, layer in LAYERS.items():
        for path in sorted((REPO / folder).glob("*.[ch]pp")):
            name = f"{folder}/{path.name}"
            if name in WIRING:
                continue
            for dep, header in INCLUDE.findall(path.read_text()):
                if dep == folder or (dep == "actors" and header == "actors.hpp"):
                    continue
                if dep not in LAYERS or LAYERS[dep] >= layer:
                    found.append(f"{name} includes {dep}/{header}")
    return found


class layers_test(unittest.TestCase):
    def test_every_folder_has_sources(self):
        for folder in LAYERS:
            self.assertTrue(list((REPO / folder).glob("*.cpp")), folder)

    def test_no_folder_includes_one_above_it(self):
        self.assertEqual(violations(), [])

    def test_each_folder_says_what_it_holds(self):
        for folder in LAYERS:
            readme = REPO / folder / "README.md"
            self.assertTrue(readme.is_file(), f"{folder}/README.md")
            self.assertIn("Never here", readme.read_text(), folder)


if __name__ == "__main__":
    unittest.main(verbosity=2)
