"""docs/openapi.yaml is a valid YAML document that generic OpenAPI tools can load: a strict
YAML parser reads it, every operation has responses, and every {parameter} in a path is
declared. (The C++ OpenAPI test only checks that every routed path is documented, with a
line-based reader that tolerated flow mappings PyYAML refuses.)"""
import os
import re
import unittest

import yaml

DOC = os.path.join(os.path.dirname(__file__), "../../docs/openapi.yaml")
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


class OpenApiDocumentTest(unittest.TestCase):

    def test_strict_yaml_and_complete_operations(self):
        with open(DOC, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        self.assertTrue(str(doc.get("openapi", "")).startswith("3.1"))
        self.assertGreater(len(doc["paths"]), 50)
        def resolve(p):
            ref = p.get("$ref") if isinstance(p, dict) else None
            if not ref:
                return p
            node = doc
            for part in ref.lstrip("#/").split("/"):
                node = node[part]
            return node

        problems = []
        for path, item in doc["paths"].items():
            shared = item.get("parameters", [])
            for method, op in item.items():
                if method not in METHODS:
                    continue
                if not op.get("responses"):
                    problems.append(f"{method.upper()} {path}: no responses")
                params = [resolve(p) for p in shared + op.get("parameters", [])]
                declared = {p.get("name") for p in params
                            if isinstance(p, dict) and p.get("in") == "path"}
                for name in re.findall(r"{([^}]+)}", path):
                    if name not in declared:
                        problems.append(f"{method.upper()} {path}: path parameter {name} "
                                        "not declared")
        self.assertEqual(problems, [])


if __name__ == "__main__":
    unittest.main()
