#include "index/store_schema.h"

#include <algorithm>
#include <chrono>

#include "domain/time.h"

namespace dualread {

void applyStoreMigrations(SqliteDb& db, const std::string& prefix, const char* const* migrations,
                          size_t count, const std::string& path) {
  SqliteTransaction tx(db);
  const std::string meta = prefix + "_meta";
  db.exec("CREATE TABLE IF NOT EXISTS " + meta + "(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  int64_t current = 0;
  {
    auto st = db.prepare("SELECT value FROM " + meta + " WHERE key = 'schema_version'");
    if (st.step()) current = std::stoll(st.text(0));
  }
  const auto target = static_cast<int64_t>(count);
  if (current > target)
    throw IndexError("the " + prefix + " tables in " + path + " have schema version " +
                     std::to_string(current) + ", which this dualread does not know (" +
                     std::to_string(target) + "): use a newer dualread");
  for (int64_t v = current + 1; v <= target; ++v) db.exec(migrations[v - 1]);
  db.prepare("INSERT OR REPLACE INTO " + meta + "(key, value) VALUES('schema_version', ?)")
      .bind(1, std::to_string(std::max(current, target)))
      .step();
  tx.commit();
}

std::string storeNowIso() {
  return toIsoDateTime(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

}  // namespace dualread
