#include "io/mvtec_ad2.h"

#include <filesystem>

#include "errors.h"
#include "io/image_paths.h"

namespace fs = std::filesystem;

namespace rd {
namespace {

void append(std::vector<LabeledImage>& out, const fs::path& dir, int label, const std::string& defect) {
  for (std::string& path : list_images(dir.string())) {
    LabeledImage image;
    image.label = label;
    image.defect = defect;
    if (label == 1) {
      // test_public/bad/<stem>.png -> test_public/ground_truth/bad/<stem>_mask.png
      const fs::path p(path);
      const fs::path mask = dir.parent_path() / "ground_truth" / dir.filename() / (p.stem().string() + "_mask.png");
      if (regular_file_exists(mask)) image.mask = mask.string();
    }
    image.path = std::move(path);
    out.push_back(std::move(image));
  }
}

}  // namespace

std::vector<LabeledImage> mvtec_ad2_test_images(const std::string& category, const std::string& split) {
  const std::string name = split.empty() ? kMvtecAd2TestSets[0] : split;
  bool known = false;
  for (const char* s : kMvtecAd2TestSets) known = known || name == s;
  if (!known)
    throw UsageError("--split '" + name + "': an MVTec AD 2 test set is test_public, test_private, "
                     "test_private_mixed or validation");
  const fs::path dir = fs::path(category) / name;
  if (!directory_exists(dir))
    throw UsageError("'" + category + "' is an MVTec AD 2 category without " + name + "/");
  std::vector<LabeledImage> images;
  if (name == "validation") {
    append(images, dir / "good", 0, "good");
  } else if (name == "test_public") {
    // bad/ before good/: sorted by path, as every other layout's records are.
    if (!directory_exists(dir / "bad") && !directory_exists(dir / "good"))
      throw UsageError("'" + dir.string() + "' has neither good/ nor bad/");
    if (directory_exists(dir / "bad")) append(images, dir / "bad", 1, "bad");
    if (directory_exists(dir / "good")) append(images, dir / "good", 0, "good");
  } else {
    append(images, dir, -1, "");
  }
  return images;
}

}  // namespace rd
