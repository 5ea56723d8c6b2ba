#pragma once
// Where the hub finds the built web app when the configuration names none: next to the binary
// in a build tree (<build>/../ui/dist) or an install (<bin>/../share/dualread/ui). Pure lookup,
// no state; thread-safe.

#include <filesystem>

namespace dualread {

// The first existing directory holding an index.html among the default places, or an empty
// path when there is none (the hub then serves no web app, only its APIs).
std::filesystem::path defaultWebAppDir();

}  // namespace dualread
