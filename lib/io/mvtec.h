// The MVTec AD category layout, which most anomaly-detection datasets copy (MPDD as it is; BTAD
// and MVTec LOCO with other names):
//   <cat>/train/good/*.png
//   <cat>/test/<defect>/*.png                    (defect "good" holds the normal test images)
//   <cat>/ground_truth/<defect>/<stem>_mask.png  (absent in the one-class novelty protocol)
#pragma once
#include <string>
#include <vector>

#include "io/labeled_image.h"

namespace rd {

// Says whether `dir` has a train/ or test/ subdirectory.
bool is_mvtec_category(const std::string& dir);

// The training images of `dir`: those of train/good in a category, else every image below
// `dir` (see list_images). Throws UsageError for a category without train/good, rather than
// training on test/ and its anomalies; and as list_images does.
std::vector<std::string> training_images(const std::string& dir);

// How a copy of the layout names things.
struct MvtecStyle {
  std::string normal = "good";  // the folder of normal images below train/ and test/ (BTAD: "ok")
  bool mask_folders = false;    // MVTec LOCO: ground_truth/<defect>/<stem>/ holds one PNG per
                                // defect of the image, and `mask` names that folder
};

// Every image below <category>/test, sorted by path. The mask of test/<defect>/<stem>.<ext> is
// ground_truth/<defect>/<stem>_mask.png, or ground_truth/<defect>/<stem>.png or .bmp (BTAD and
// other copies of the layout), whichever exists first; with `mask_folders`, the folder
// ground_truth/<defect>/<stem>. Normal images are labelled 0 with defect "good", whatever the
// layout calls their folder. Throws UsageError if test/ is missing.
std::vector<LabeledImage> test_images(const std::string& category, const MvtecStyle& style = {});

}  // namespace rd
