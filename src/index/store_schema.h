#pragma once
// Schema versioning shared by the stores that keep their own tables in the index database
// (register, letters, follow-up): each has a `<name>_meta` table holding its schema version and
// an append-only list of migrations. Stateless; call from the store's constructor.

#include <cstddef>
#include <string>

#include "index/sqlite.h"

namespace dualread {

// Applies migrations[current..count) inside one transaction and records the new version in
// `<prefix>_meta`. Throws IndexError when the database holds a newer schema than `count`.
void applyStoreMigrations(SqliteDb& db, const std::string& prefix, const char* const* migrations,
                          size_t count, const std::string& path);

// ISO 8601 UTC now, to the second.
std::string storeNowIso();

}  // namespace dualread
