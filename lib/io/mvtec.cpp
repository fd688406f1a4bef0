#include "io/mvtec.h"

#include <filesystem>

#include "errors.h"
#include "io/image_paths.h"

namespace fs = std::filesystem;

namespace rd {
namespace detail {
namespace {

// The mask for `relative` (the image's path below test/, e.g. "crack/000.png").
std::string find_mask(const fs::path& category, const fs::path& relative, bool mask_folders) {
  const fs::path base = category / "ground_truth" / relative.parent_path();
  const std::string stem = relative.stem().string();
  if (mask_folders) return directory_exists(base / stem) ? (base / stem).string() : "";
  // BTAD keeps product 03's masks as BMP, like its images.
  for (const fs::path& candidate : {base / (stem + "_mask.png"), base / (stem + ".png"), base / (stem + ".bmp")})
    if (regular_file_exists(candidate)) return candidate.string();
  return "";
}

}  // namespace
}  // namespace detail

bool is_mvtec_category(const std::string& dir) {
  return directory_exists(fs::path(dir) / "train") || directory_exists(fs::path(dir) / "test");
}

std::vector<std::string> training_images(const std::string& dir) {
  const fs::path good = fs::path(dir) / "train" / "good";
  if (directory_exists(good)) return list_images(good.string());
  if (is_mvtec_category(dir)) {
    throw UsageError("'" + dir + "' looks like an MVTec AD category (it has train/ or test/) but has no train/good; " +
                     "pass the folder of normal images itself");
  }
  return list_images(dir);
}

std::vector<LabeledImage> test_images(const std::string& category, const MvtecStyle& style) {
  const fs::path test = fs::path(category) / "test";
  if (!directory_exists(test))
    throw UsageError("'" + category + "' is not an MVTec AD category: it has no test/ folder");
  const std::string prefix = test.string() + "/";
  std::vector<LabeledImage> images;
  for (std::string& path : list_images(test.string())) {
    LabeledImage image;
    // list_images returns test/ joined with the names below it, so the prefix is exact.
    const fs::path relative = path.substr(prefix.size());
    if (relative.has_parent_path()) {
      image.defect = relative.begin()->string();
      image.label = image.defect == style.normal ? 0 : 1;
      if (image.label == 0) image.defect = "good";
      image.mask = detail::find_mask(category, relative, style.mask_folders);
    }
    image.path = std::move(path);
    images.push_back(std::move(image));
  }
  return images;
}

}  // namespace rd
