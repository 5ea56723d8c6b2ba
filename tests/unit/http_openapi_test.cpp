// docs/openapi.yaml documents exactly the routes the server has: every (method, path) in the
// router's table is in the document and vice versa, and every path parameter is declared.
// The YAML is scanned line by line (paths are two-space-indented keys under "paths:",
// operations four-space-indented), so no YAML library is needed.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "http/router.h"
#include "http/routes.h"
#include "hub_fixture.h"

namespace dualread::testing {
namespace {

struct Documented {
  std::set<std::pair<std::string, std::string>> operations;  // (METHOD, path)
  std::map<std::string, std::string> blocks;                 // path -> its text
};

Documented scanOpenApi(const std::string& file) {
  std::ifstream in(file);
  EXPECT_TRUE(in.good()) << "cannot read " << file;
  Documented d;
  std::string line, current;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != ' ' && line[0] != '#') {
      in_paths = line.rfind("paths:", 0) == 0;
      current.clear();
      continue;
    }
    if (!in_paths) continue;
    if (line.rfind("  /", 0) == 0 && line.back() == ':') {
      current = line.substr(2, line.size() - 3);
      d.blocks[current];
      continue;
    }
    if (current.empty()) continue;
    d.blocks[current] += line + "\n";
    static const char* kMethods[] = {"get", "post", "put", "delete", "patch", "head", "options"};
    for (const char* m : kMethods) {
      if (line == std::string("    ") + m + ":") {
        std::string upper = m;
        for (auto& c : upper) c = static_cast<char>(std::toupper(c));
        d.operations.insert({upper, current});
      }
    }
  }
  return d;
}

class HttpOpenApiTest : public HubFixture {};

TEST_F(HttpOpenApiTest, EveryRouteIsDocumentedAndNothingElse) {
  http::Router router;
  http::registerHubRoutes(router, *services_);
  std::set<std::pair<std::string, std::string>> routes;
  for (const auto& r : router.routes()) routes.insert({r.method, r.pattern});
  ASSERT_GE(routes.size(), 20u);

  const Documented doc = scanOpenApi(std::string(DUALREAD_SOURCE_DIR) + "/docs/openapi.yaml");
  for (const auto& r : routes)
    EXPECT_TRUE(doc.operations.count(r))
        << r.first << " " << r.second << " is served but not in docs/openapi.yaml";
  for (const auto& o : doc.operations)
    EXPECT_TRUE(routes.count(o)) << o.first << " " << o.second
                                 << " is in docs/openapi.yaml but not served";
}

TEST_F(HttpOpenApiTest, PathParametersAreDeclaredAndErrorsDescribed) {
  const Documented doc = scanOpenApi(std::string(DUALREAD_SOURCE_DIR) + "/docs/openapi.yaml");
  ASSERT_FALSE(doc.blocks.empty());
  std::ifstream in(std::string(DUALREAD_SOURCE_DIR) + "/docs/openapi.yaml");
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  for (const auto& [path, block] : doc.blocks) {
    SCOPED_TRACE(path);
    size_t pos = 0;
    while ((pos = path.find('{', pos)) != std::string::npos) {
      const size_t end = path.find('}', pos);
      const std::string name = path.substr(pos + 1, end - pos - 1);
      // Declared inline, or through a shared component named after it.
      const bool inline_decl = block.find("name: " + name + "\n") != std::string::npos;
      const bool shared =
          block.find("#/components/parameters/" + name + "\"") != std::string::npos &&
          text.find("    " + name + ":\n      name: " + name + "\n      in: path") !=
              std::string::npos;
      EXPECT_TRUE(inline_decl || shared) << "path parameter {" << name << "} is not declared";
      pos = end;
    }
    EXPECT_NE(block.find("responses:"), std::string::npos);
    if (path != "/healthz") {
      EXPECT_NE(block.find("\"400\""), std::string::npos) << "no 400 answer documented";
    }
  }
  EXPECT_NE(text.find("    Error:\n      type: object\n      required: [error]"),
            std::string::npos);
}

}  // namespace
}  // namespace dualread::testing
