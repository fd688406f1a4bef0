// MVTec AD 2's category layout (Heckler-Kram et al., 2025):
//   <cat>/train/good/*.png, <cat>/validation/good/*.png
//   <cat>/test_public/{good,bad}/*.png, <cat>/test_public/ground_truth/bad/<stem>_mask.png
//   <cat>/test_private/*.png, <cat>/test_private_mixed/*.png (labels held by MVTec's server)
#pragma once
#include <string>
#include <vector>

#include "io/labeled_image.h"

namespace rd {

// The test sets --split may name; the first is the default.
inline constexpr const char* kMvtecAd2TestSets[] = {"test_public", "test_private", "test_private_mixed",
                                                    "validation"};

// The images of one test set, sorted by path. test_public: good/ labelled 0 (defect "good"),
// bad/ labelled 1 (defect "bad") with test_public/ground_truth/bad/<stem>_mask.png when it
// exists; validation: validation/good, labelled 0; test_private and test_private_mixed: no
// label, defect or mask. Throws UsageError for another split name or a missing folder.
std::vector<LabeledImage> mvtec_ad2_test_images(const std::string& category, const std::string& split);

}  // namespace rd
