// VisA's layout (Zou et al., 2022): a category folder <root>/<cat>/Data/Images/{Normal,Anomaly}/
// and <root>/<cat>/Data/Masks/Anomaly/, split by a CSV file, split_csv/1cls.csv in <root>, whose
// columns are object, split (train/test), label (normal/anomaly), image and mask, the paths
// relative to <root>. VisA has no defect names: rd calls them "anomaly" (and "good").
#pragma once
#include <string>
#include <vector>

#include "io/labeled_image.h"

namespace rd {

struct VisaSplit {
  std::string file;                 // the split file read
  std::vector<std::string> train;   // split "train", in file order
  std::vector<LabeledImage> test;   // split "test", sorted by path
};

// The split file a category uses by default: <category>/../split_csv/1cls.csv.
std::string default_visa_split_file(const std::string& category);

// Reads the rows of `split_file` (empty: the default) whose object is the category's folder
// name; paths are taken relative to the folder above the category. Throws UsageError when the
// file is missing or has no row for the category (naming the objects it has), FormatError for
// a row that is not object,split,label,image,mask with known split and label values.
VisaSplit read_visa_split(const std::string& category, const std::string& split_file = "");

}  // namespace rd
