#include "letters/print_run.h"

#include <map>

namespace dualread {

PrintRun producePrintRun(const std::vector<PrintRunItem>& items, const LetterTemplateSet& templates,
                         const LetterPdfRenderer& renderer, const PrintRunOptions& options) {
  PrintRun run;
  run.run_id = options.run_id;
  run.duplex = options.duplex;
  std::vector<LetterContent> printable;
  printable.reserve(items.size());
  int next_page = 1;
  for (const auto& item : items) {
    PrintedLetter letter;
    letter.id = item.id;
    letter.kind = item.kind;
    try {
      LetterContent content = templates.get(item.kind).expand(item.data);
      // Rendering alone first also proves the letter lays out (address fits the window)
      // before it joins the combined document.
      letter.pdf = renderer.render(content, &letter.pages);
      printable.push_back(std::move(content));
    } catch (const LetterDataError& e) {
      run.refused.push_back({item.id, item.kind, e.what()});
      continue;
    } catch (const LetterTemplateError& e) {
      run.refused.push_back({item.id, item.kind, e.what()});
      continue;
    }
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
