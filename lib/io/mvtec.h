// The MVTec AD category layout, which most anomaly-detection datasets copy:
//   <cat>/train/good/*.png
//   <cat>/test/<defect>/*.png                    (defect "good" holds the normal test images)
//   <cat>/ground_truth/<defect>/<stem>_mask.png  (absent in the one-class novelty protocol)
#pragma once
#include <string>
#include <vector>

namespace rd {

// Says whether `dir` has a train/ or test/ subdirectory.
bool is_mvtec_category(const std::string& dir);

// The training images of `dir`: those of train/good in a category, else every image below
// `dir` (see list_images). Throws UsageError for a category without train/good, rather than
// training on test/ and its anomalies; and as list_images does.
std::vector<std::string> training_images(const std::string& dir);

// One test image with what the layout says about it.
struct LabeledImage {
  std::string path;
  int label = -1;      // 0 normal (defect "good"), 1 anomalous, -1 unknown (directly in test/)
  std::string defect;  // the folder below test/; empty when unknown
  std::string mask;    // ground-truth mask path when that file exists, else empty (MVTec has none
                       // for "good": an empty mask means no anomalous pixel when labelled 0)
};

// Every image below <category>/test, sorted by path. The mask of test/<defect>/<stem>.<ext> is
// ground_truth/<defect>/<stem>_mask.png, or ground_truth/<defect>/<stem>.png (BTAD and other
// copies of the layout), whichever exists first. Throws UsageError if test/ is missing.
std::vector<LabeledImage> test_images(const std::string& category);

}  // namespace rd
