// Fills a hub index with N synthetic exams (4 instances each, two rounds per woman) fast, for
// the index-scale QIDO benchmark. Rows only: no blobs, so WADO on them is not meaningful.
//   build/bench/dualread_index_fill --data DIR --exams 1000000
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "index/archive_index.h"

int main(int argc, char** argv) {
  std::string data;
  long long exams = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--data") data = argv[i + 1];
    if (a == "--exams") exams = std::atoll(argv[i + 1]);
  }
  if (data.empty() || exams <= 0) {
    std::fprintf(stderr, "usage: dualread_index_fill --data DIR --exams N\n");
    return 2;
  }
  std::filesystem::create_directories(data);
  dualread::ArchiveIndex index(data + "/index.sqlite", 1);
  const long long existing = index.totals().studies;
  const auto t0 = std::chrono::steady_clock::now();
  const long long batch = 50000;
  for (long long done = existing; done < exams; done += batch) {
    const long long n = std::min(batch, exams - done);
    index.bulkInsertSyntheticExams(done, n, 4);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "indexed %lld of %lld exams (%.0f s)\n", done + n, exams, s);
  }
  return 0;
}
