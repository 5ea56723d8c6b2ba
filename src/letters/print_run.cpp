#include "letters/print_run.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <map>
#include <optional>
#include <thread>

namespace dualread {

PrintRun producePrintRun(const std::vector<PrintRunItem>& items, const LetterTemplateSet& templates,
                         const LetterPdfRenderer& renderer, const PrintRunOptions& options) {
  PrintRun run;
  run.run_id = options.run_id;
  run.duplex = options.duplex;
  std::vector<LetterContent> printable;
  printable.reserve(items.size());
  int next_page = 1;

  // Each letter's own PDF embeds its fonts, which is most of the work: letters are rendered
  // in parallel, a batch at a time (a day's run does not sit whole in memory), then handed over
  // in order.
  struct Slot {
    std::optional<LetterContent> content;
    PrintedLetter letter;
    std::string error;
    std::exception_ptr failure;
  };
  const unsigned threads = std::max(
      1u, options.threads > 0 ? static_cast<unsigned>(options.threads)
                              : std::min(8u, std::max(1u, std::thread::hardware_concurrency())));
  const size_t batch = std::max<size_t>(threads * 8, 16);
  std::vector<Slot> slots;
  for (size_t start = 0; start < items.size(); start += batch) {
    const size_t n = std::min(batch, items.size() - start);
    slots.assign(n, Slot{});
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i; (i = next.fetch_add(1)) < n;) {
        const PrintRunItem& item = items[start + i];
        Slot& slot = slots[i];
        slot.letter.id = item.id;
        slot.letter.kind = item.kind;
        try {
          LetterContent content = templates.get(item.kind).expand(item.data);
          // Rendering alone first also proves the letter lays out (address fits the window)
          // before it joins the combined document.
          slot.letter.pdf = renderer.render(content, &slot.letter.pages);
          slot.content = std::move(content);
        } catch (const LetterDataError& e) {
          slot.error = e.what();
        } catch (const LetterTemplateError& e) {
          slot.error = e.what();
        } catch (...) {
          slot.failure = std::current_exception();  // rethrown below, on the calling thread
        }
      }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < std::min<size_t>(threads, n); ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    for (auto& slot : slots) {
      if (slot.failure) std::rethrow_exception(slot.failure);  // PdfRenderError: no run
      if (!slot.content) {
        run.refused.push_back({slot.letter.id, slot.letter.kind, slot.error});
        continue;
      }
      PrintedLetter& letter = slot.letter;
      printable.push_back(std::move(*slot.content));
      letter.first_page = next_page;
      next_page += letter.pages + (options.duplex && letter.pages % 2 == 1 ? 1 : 0);
      if (options.on_letter) {
        PrintedLetter meta{letter.id, letter.kind, letter.pages, letter.first_page, {}};
        options.on_letter(std::move(letter));
        run.letters.push_back(std::move(meta));
      } else {
        run.letters.push_back(std::move(letter));
      }
    }
  }

  std::vector<int> pages;
  run.combined_pdf = renderer.renderCombined(printable, options.duplex, &pages, &run.blank_pages);
  run.total_pages = run.blank_pages;
  for (int p : pages) run.total_pages += p;
  return run;
}

nlohmann::json PrintRun::summary() const {
  nlohmann::json by_kind = nlohmann::json::object();
  nlohmann::json items = nlohmann::json::array();
  for (const auto& l : letters) {
    auto& k = by_kind[std::string(letterKindName(l.kind))];
    if (k.is_null()) k = {{"letters", 0}, {"pages", 0}};
    k["letters"] = k["letters"].get<int>() + 1;
    k["pages"] = k["pages"].get<int>() + l.pages;
    items.push_back({{"id", l.id},
                     {"kind", std::string(letterKindName(l.kind))},
                     {"pages", l.pages},
                     {"first_page", l.first_page}});
  }
  nlohmann::json refused_items = nlohmann::json::array();
  for (const auto& r : refused)
    refused_items.push_back(
        {{"id", r.id}, {"kind", std::string(letterKindName(r.kind))}, {"reason", r.reason}});
  return {{"run_id", run_id},
          {"letters", letters.size()},
          {"refused", refused.size()},
          {"pages", total_pages},
          {"sheets", duplex ? (total_pages + 1) / 2 : total_pages},
          {"blank_pages", blank_pages},
          {"by_kind", by_kind},
          {"items", items},
          {"refused_items", refused_items}};
}

}  // namespace dualread
