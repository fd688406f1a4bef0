// Benchmark dataset layouts, recognised from a category's folder alone (DESIGN §2 "Datasets"):
//   mvtec       MVTec AD and MPDD: train/good, test/<defect>/, ground_truth/<defect>/<stem>_mask.png
//   mvtec-ad2   MVTec AD 2: train/good, validation/good, test_public/{good,bad}/ with
//               test_public/ground_truth/bad/<stem>_mask.png; test_private/, test_private_mixed/
//               unlabelled
//   visa        VisA: Data/Images/{Normal,Anomaly}/, Data/Masks/Anomaly/, the split in
//               <dataset root>/split_csv/1cls.csv (object,split,label,image,mask)
//   mvtec-loco  MVTec LOCO AD: train/good, validation/good, test/{good,logical_anomalies,
//               structural_anomalies}/, ground_truth/<type>/<stem>/000.png, ... (one per defect)
//   btad        BTAD: train/ok, test/{ok,ko}/, ground_truth/ko/<stem>.png
//   images      any other folder: every image below it, for training (no labels)
#pragma once
#include <string>
#include <vector>

#include "io/labeled_image.h"

namespace rd {

enum class Layout { automatic, images, mvtec, mvtec_ad2, visa, mvtec_loco, btad };

// Parses a --layout value: auto, images, mvtec, mvtec-ad2, visa, mvtec-loco, btad (also mpdd,
// which is mvtec). Throws UsageError naming the choices.
Layout parse_layout(const std::string& text);
// The --layout name ("mvtec-ad2") and the name people know ("MVTec AD 2").
const char* layout_name(Layout layout);
const char* layout_title(Layout layout);

// The layout of `dir` from the folders in it (never automatic; images when none matches).
Layout detect_layout(const std::string& dir);

struct DatasetOptions {
  Layout layout = Layout::automatic;  // automatic: detect_layout
  // MVTec AD 2: the set --dataset scores: test_public (default; labelled, with masks),
  // test_private, test_private_mixed (unlabelled) or validation (normal). VisA: the split file
  // (default: split_csv/1cls.csv in the folder above the category). Refused for other layouts.
  std::string split;
};

// Images of one part of a dataset, and where they came from (for the log).
struct DatasetImages {
  Layout layout = Layout::images;
  std::string source;  // e.g. "train/good", "split_csv/1cls.csv (train)"
  std::vector<std::string> images;
};

struct TestSet {
  Layout layout = Layout::mvtec;
  std::string source;  // e.g. "test/", "test_private/ (unlabelled)"
  std::vector<LabeledImage> images;
};

// What rd-train DIR trains on: the layout's normal training images (a plain folder: every
// image below it). Throws UsageError when the layout's training folder or split is missing, or
// the options do not fit the layout.
DatasetImages training_set(const std::string& dir, const DatasetOptions& options = {});

// What rd-score --dataset DIR scores, with label, defect and mask as the layout gives them.
// Throws UsageError for a folder that is no test layout (naming the layouts it looked for).
TestSet test_set(const std::string& dir, const DatasetOptions& options = {});

// What rd-train --val DIR validates on: validation/good for MVTec AD 2 and MVTec LOCO, every
// image of a plain folder. Throws UsageError for a layout without a validation set (MVTec AD,
// BTAD, VisA), whose training images must not double as validation.
DatasetImages validation_set(const std::string& dir, const DatasetOptions& options = {});

}  // namespace rd
