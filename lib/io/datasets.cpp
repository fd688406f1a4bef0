#include "io/datasets.h"

#include <filesystem>

#include <fmt/format.h>

#include "errors.h"
#include "io/image_paths.h"
#include "io/mvtec.h"
#include "io/mvtec_ad2.h"
#include "io/visa.h"

namespace fs = std::filesystem;

namespace rd {
namespace {

struct LayoutInfo {
  Layout layout;
  const char* name;
  const char* title;
  const char* signature;  // what detect_layout looks for, for messages
};

constexpr LayoutInfo kLayouts[] = {
    {Layout::automatic, "auto", "detected", ""},
    {Layout::images, "images", "a folder of images", "images anywhere below it"},
    {Layout::mvtec, "mvtec", "MVTec AD", "train/ or test/ (MVTec AD, MPDD)"},
    {Layout::mvtec_ad2, "mvtec-ad2", "MVTec AD 2", "test_public/, test_private/ or test_private_mixed/"},
    {Layout::visa, "visa", "VisA", "Data/Images/"},
    {Layout::mvtec_loco, "mvtec-loco", "MVTec LOCO AD", "test/logical_anomalies/ or test/structural_anomalies/"},
    {Layout::btad, "btad", "BTAD", "train/ok/, test/ok/ or test/ko/"},
};

const LayoutInfo& info(Layout layout) {
  for (const LayoutInfo& i : kLayouts)
    if (i.layout == layout) return i;
  return kLayouts[0];
}

Layout resolve(const std::string& dir, const DatasetOptions& options) {
  const Layout layout = options.layout == Layout::automatic ? detect_layout(dir) : options.layout;
  const bool takes_split = layout == Layout::mvtec_ad2 || layout == Layout::visa;
  if (!options.split.empty() && !takes_split)
    throw UsageError(fmt::format("--split is for MVTec AD 2 (a test set) and VisA (a split file); '{}' is {}", dir,
                                 layout_title(layout)));
  return layout;
}

// A layout's normal training folder, or a UsageError that says which layout needed it.
DatasetImages from_folder(const std::string& dir, Layout layout, const char* relative) {
  const fs::path folder = fs::path(dir) / relative;
  if (!directory_exists(folder))
    throw UsageError(fmt::format("'{}' is laid out as {} but has no {}/", dir, layout_title(layout), relative));
  return {layout, std::string(relative) + "/", list_images(folder.string())};
}

}  // namespace

Layout parse_layout(const std::string& text) {
  if (text == "mpdd") return Layout::mvtec;
  std::string names;
  for (const LayoutInfo& i : kLayouts) {
    if (text == i.name) return i.layout;
    names += (names.empty() ? "" : ", ") + std::string(i.name);
  }
  throw UsageError(fmt::format("unknown --layout '{}'; expected {} (or mpdd, the same as mvtec)", text, names));
}

const char* layout_name(Layout layout) { return info(layout).name; }
const char* layout_title(Layout layout) { return info(layout).title; }

Layout detect_layout(const std::string& dir) {
  const fs::path d(dir);
  if (directory_exists(d / "Data" / "Images")) return Layout::visa;
  if (directory_exists(d / "test_public") || directory_exists(d / "test_private") || directory_exists(d / "test_private_mixed"))
    return Layout::mvtec_ad2;
  if (directory_exists(d / "test" / "logical_anomalies") || directory_exists(d / "test" / "structural_anomalies"))
    return Layout::mvtec_loco;
  if (directory_exists(d / "train" / "ok") || directory_exists(d / "test" / "ok") || directory_exists(d / "test" / "ko"))
    return Layout::btad;
  if (is_mvtec_category(dir)) return Layout::mvtec;
  return Layout::images;
}

DatasetImages training_set(const std::string& dir, const DatasetOptions& options) {
  const Layout layout = resolve(dir, options);
  if (layout == Layout::mvtec_ad2 && !options.split.empty())
    throw UsageError(fmt::format("--split names the MVTec AD 2 test set rd-score scores; training uses '{}/train/good'",
                                 dir));
  switch (layout) {
    case Layout::mvtec:
    case Layout::mvtec_ad2:
    case Layout::mvtec_loco: return from_folder(dir, layout, "train/good");
    case Layout::btad: return from_folder(dir, layout, "train/ok");
    case Layout::visa: {
      VisaSplit split = read_visa_split(dir, options.split);
      if (split.train.empty())
        throw UsageError(fmt::format("split file '{}' has no normal training rows for '{}'", split.file, dir));
      return {layout, split.file + " (train)", std::move(split.train)};
    }
    case Layout::images:
    case Layout::automatic: break;
  }
  return {Layout::images, "all images", list_images(dir)};
}

TestSet test_set(const std::string& dir, const DatasetOptions& options) {
  const Layout layout = resolve(dir, options);
  switch (layout) {
    case Layout::mvtec: return {layout, "test/", test_images(dir)};
    case Layout::btad: return {layout, "test/", test_images(dir, MvtecStyle{"ok", false})};
    case Layout::mvtec_loco: return {layout, "test/", test_images(dir, MvtecStyle{"good", true})};
    case Layout::mvtec_ad2: {
      const std::string split = options.split.empty() ? kMvtecAd2TestSets[0] : options.split;
      const bool labelled = split == "test_public" || split == "validation";
      return {layout, split + "/" + (labelled ? "" : " (unlabelled)"), mvtec_ad2_test_images(dir, split)};
    }
    case Layout::visa: {
      VisaSplit split = read_visa_split(dir, options.split);
      if (split.test.empty())
        throw UsageError(fmt::format("split file '{}' has no test rows for '{}'", split.file, dir));
      return {layout, split.file + " (test)", std::move(split.test)};
    }
    case Layout::images:
    case Layout::automatic: break;
  }
  std::string expected;
  for (const LayoutInfo& i : kLayouts)
    if (i.layout != Layout::automatic && i.layout != Layout::images)
      expected += fmt::format("{}{} ({})", expected.empty() ? "" : ", ", i.title, i.signature);
  throw UsageError(fmt::format("'{}' is not a dataset layout rd knows: expected {}; --layout NAME says which one it is",
                               dir, expected));
}

DatasetImages validation_set(const std::string& dir, const DatasetOptions& options) {
  const Layout layout = resolve(dir, options);
  switch (layout) {
    case Layout::mvtec_ad2:
    case Layout::mvtec_loco: return from_folder(dir, layout, "validation/good");
    case Layout::images: return {layout, "all images", list_images(dir)};
    case Layout::mvtec:
    case Layout::btad:
    case Layout::visa:
    case Layout::automatic: break;
  }
  // Its training images are the training set: validating on them would hide overfitting.
  const std::string example = layout == Layout::visa ? "" : fmt::format(" (for example {}/test/{})", dir,
                                                                         layout == Layout::btad ? "ok" : "good");
  throw UsageError(fmt::format("--val '{}' is a {} category, which has no validation set; give a folder of normal "
                               "images that are not in the training set{}",
                               dir, layout_title(layout), example));
}

}  // namespace rd
