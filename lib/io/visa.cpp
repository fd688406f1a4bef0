#include "io/visa.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "errors.h"

namespace fs = std::filesystem;

namespace rd {
namespace {

// VisA's CSV has no quoting; a trailing '\r' (a file saved on Windows) is dropped.
std::vector<std::string> split_csv_line(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> cells;
  std::size_t start = 0;
  for (std::size_t comma; (comma = line.find(',', start)) != std::string::npos; start = comma + 1)
    cells.push_back(line.substr(start, comma - start));
  cells.push_back(line.substr(start));
  return cells;
}

// The folder name of `category`, also when it is given with a trailing slash or as ".".
fs::path category_path(const std::string& category) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::path(category), ec);
  if (ec) p = fs::path(category);
  if (!p.has_filename()) p = p.parent_path();
  return p;
}

}  // namespace

std::string default_visa_split_file(const std::string& category) {
  return (category_path(category).parent_path() / "split_csv" / "1cls.csv").string();
}

VisaSplit read_visa_split(const std::string& category, const std::string& split_file) {
  VisaSplit split;
  split.file = split_file.empty() ? default_visa_split_file(category) : split_file;
  std::ifstream in(split.file);
  if (!in)
    throw UsageError(fmt::format("VisA category '{}' needs its split file '{}' (missing; give one with --split FILE)",
                                 category, split.file));
  const fs::path cat = category_path(category);
  const std::string object = cat.filename().string();
  // Paths in the file are relative to the dataset root; keep the user's spelling of the category.
  fs::path given = fs::path(category).lexically_normal();
  if (!given.has_filename()) given = given.parent_path();
  const fs::path root = given.parent_path();
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = split_csv_line(line);
  const std::vector<std::string> want{"object", "split", "label", "image", "mask"};
  std::vector<std::size_t> column;
  for (const std::string& name : want) {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end())
      throw FormatError(fmt::format("'{}': the header has no column '{}'; expected object,split,label,image,mask",
                                    split.file, name));
    column.push_back(std::size_t(it - header.begin()));
  }
  std::set<std::string> objects;
  for (std::size_t number = 2; std::getline(in, line); ++number) {
    if (line.empty() || line == "\r") continue;
    const std::vector<std::string> cells = split_csv_line(line);
    if (cells.size() != header.size())
      throw FormatError(fmt::format("'{}' line {}: {} cells; the header has {}", split.file, number, cells.size(),
                                    header.size()));
    auto cell = [&](std::size_t k) { return cells[column[k]]; };
    objects.insert(cell(0));
    if (cell(0) != object) continue;
    const std::string kind = cell(1), label = cell(2);
    if (label != "normal" && label != "anomaly")
      throw FormatError(fmt::format("'{}' line {}: label '{}'; expected normal or anomaly", split.file, number, label));
    const std::string image = (root / cell(3)).string();
    if (kind == "train") {
      if (label == "normal") split.train.push_back(image);  // never train on an anomaly
    } else if (kind == "test") {
      LabeledImage l;
      l.path = image;
      l.label = label == "anomaly" ? 1 : 0;
      l.defect = l.label ? "anomaly" : "good";
      if (l.label && !cell(4).empty()) l.mask = (root / cell(4)).string();
      split.test.push_back(std::move(l));
    } else {
      throw FormatError(fmt::format("'{}' line {}: split '{}'; expected train or test", split.file, number, kind));
    }
  }
  if (split.train.empty() && split.test.empty()) {
    std::string names;
    for (const std::string& o : objects) names += (names.empty() ? "" : ", ") + o;
    throw UsageError(fmt::format("split file '{}' has no rows for object '{}' (the folder name of '{}'); it has: {}",
                                 split.file, object, category, names.empty() ? "no rows" : names));
  }
  std::sort(split.test.begin(), split.test.end(),
            [](const LabeledImage& a, const LabeledImage& b) { return a.path < b.path; });
  return split;
}

}  // namespace rd
