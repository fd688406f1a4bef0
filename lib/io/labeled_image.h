// One test image of a dataset with what its layout says about it.
#pragma once
#include <string>

namespace rd {

struct LabeledImage {
  std::string path;
  int label = -1;      // 0 normal, 1 anomalous, -1 unknown (an unlabelled test set)
  std::string defect;  // the defect type ("good" for normal images); empty when unknown
  std::string mask;    // the ground-truth mask: an image file, or a folder of mask images whose
                       // union is the mask (MVTec LOCO); empty when there is none (normal
                       // images have none: an empty mask means no anomalous pixel when labelled 0)
};

}  // namespace rd
