#include "io/datasets.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "errors.h"
#include "support.h"
#include "io/map_files.h"

namespace fs = std::filesystem;

namespace {

// A miniature dataset per test: one-byte image files (listing needs names only) and, where a
// test reads them, real masks written with OpenCV. Removed afterwards.
struct Tree : rd::test::TempTree {
  Tree() : TempTree("datasets") {}
  // A 4x2 mask with the given pixels set to `value`.
  void mask(const std::string& rel, std::initializer_list<int> set, int value = 255) {
    cv::Mat m(2, 4, CV_8U, cv::Scalar(0));
    for (int i : set) m.at<std::uint8_t>(i / 4, i % 4) = std::uint8_t(value);
    fs::create_directories((root / rel).parent_path());
    REQUIRE(cv::imwrite((root / rel).string(), m));
  }
};

std::vector<std::string> paths(const std::vector<rd::LabeledImage>& images) {
  std::vector<std::string> out;
  for (const auto& i : images) out.push_back(i.path);
  return out;
}

std::vector<int> pixels(const cv::Mat& m) {
  std::vector<int> out(m.begin<std::uint8_t>(), m.end<std::uint8_t>());
  return out;
}

void make_mvtec_ad2(Tree& t) {
  t.files({"train/good/000_regular.png", "validation/good/000_regular.png", "test_public/good/000_good.png",
           "test_public/bad/000_bad.png", "test_public/bad/001_bad.png", "test_private/000_regular.png",
           "test_private/001_regular.png", "test_private_mixed/000_mixed.png"});
  t.mask("test_public/ground_truth/bad/000_bad_mask.png", {1});  // 001_bad has none
}

}  // namespace

TEST_CASE("layout_names_parse_and_print_back") {
  for (const char* name : {"auto", "images", "mvtec", "mvtec-ad2", "visa", "mvtec-loco", "btad"})
    CHECK(std::string(rd::layout_name(rd::parse_layout(name))) == name);
  CHECK(rd::parse_layout("mpdd") == rd::Layout::mvtec);
  CHECK(std::string(rd::layout_title(rd::Layout::mvtec_ad2)) == "MVTec AD 2");
  CHECK_THROWS_WITH_AS(rd::parse_layout("kolektor"),
                       "unknown --layout 'kolektor'; expected auto, images, mvtec, mvtec-ad2, visa, mvtec-loco, btad "
                       "(or mpdd, the same as mvtec)",
                       rd::UsageError);
}

TEST_CASE("detect_layout_tells_the_layouts_apart_by_their_folders") {
  Tree images, mvtec, ad2, visa, loco, btad;
  images.files({"a.png", "sub/b.png"});
  mvtec.files({"train/good/0.png", "test/crack/0.png"});
  make_mvtec_ad2(ad2);
  visa.files({"candle/Data/Images/Normal/0.JPG"});
  loco.files({"train/good/0.png", "test/logical_anomalies/0.png"});
  btad.files({"train/ok/0.bmp", "test/ko/0.bmp"});
  CHECK(rd::detect_layout(images.root.string()) == rd::Layout::images);
  CHECK(rd::detect_layout(mvtec.root.string()) == rd::Layout::mvtec);
  CHECK(rd::detect_layout(ad2.root.string()) == rd::Layout::mvtec_ad2);
  CHECK(rd::detect_layout(visa / "candle") == rd::Layout::visa);
  CHECK(rd::detect_layout(loco.root.string()) == rd::Layout::mvtec_loco);
  CHECK(rd::detect_layout(btad.root.string()) == rd::Layout::btad);
}

TEST_CASE("mvtec_ad2_trains_on_train_good_and_scores_test_public_with_labels_and_masks") {
  Tree t;
  make_mvtec_ad2(t);
  const rd::DatasetImages train = rd::training_set(t.root.string());
  CHECK(train.layout == rd::Layout::mvtec_ad2);
  CHECK(train.images == std::vector<std::string>{t / "train/good/000_regular.png"});
  CHECK(rd::validation_set(t.root.string()).images == std::vector<std::string>{t / "validation/good/000_regular.png"});

  const rd::TestSet test = rd::test_set(t.root.string());
  CHECK(test.source == "test_public/");
  // The masks below test_public/ground_truth are not test images.
  REQUIRE(paths(test.images) == std::vector<std::string>{t / "test_public/bad/000_bad.png",
                                                          t / "test_public/bad/001_bad.png",
                                                          t / "test_public/good/000_good.png"});
  CHECK(test.images[0].label == 1);
  CHECK(test.images[0].defect == "bad");
  CHECK(test.images[0].mask == t / "test_public/ground_truth/bad/000_bad_mask.png");
  CHECK(test.images[1].mask.empty());
  CHECK(test.images[2].label == 0);
  CHECK(test.images[2].defect == "good");
}

TEST_CASE("mvtec_ad2_private_test_sets_are_unlabelled_and_split_names_are_checked") {
  Tree t;
  make_mvtec_ad2(t);
  rd::DatasetOptions o;
  o.split = "test_private";
  const rd::TestSet test = rd::test_set(t.root.string(), o);
  CHECK(test.source == "test_private/ (unlabelled)");
  REQUIRE(test.images.size() == 2);
  CHECK(test.images[1].path == t / "test_private/001_regular.png");
  CHECK(test.images[1].label == -1);
  CHECK(test.images[1].defect.empty());
  CHECK(test.images[1].mask.empty());
  o.split = "validation";
  CHECK(rd::test_set(t.root.string(), o).images.at(0).label == 0);
  CHECK_THROWS_AS(rd::training_set(t.root.string(), o), rd::UsageError);  // a test set is no training set
  o.split = "test";
  CHECK_THROWS_WITH_AS(rd::test_set(t.root.string(), o),
                       "--split 'test': an MVTec AD 2 test set is test_public, test_private, test_private_mixed or "
                       "validation",
                       rd::UsageError);
}

TEST_CASE("visa_reads_its_split_file_for_the_category_folder") {
  Tree t;
  t.files({"candle/Data/Images/Normal/0000.JPG", "candle/Data/Images/Normal/0001.JPG",
           "candle/Data/Images/Anomaly/000.JPG", "candle/Data/Masks/Anomaly/000.png"});
  t.file("split_csv/1cls.csv",
         "object,split,label,image,mask\r\n"
         "candle,train,normal,candle/Data/Images/Normal/0000.JPG,\r\n"
         "capsules,train,normal,capsules/Data/Images/Normal/0000.JPG,\r\n"
         "candle,test,normal,candle/Data/Images/Normal/0001.JPG,\r\n"
         "candle,test,anomaly,candle/Data/Images/Anomaly/000.JPG,candle/Data/Masks/Anomaly/000.png\r\n");
  const std::string cat = t / "candle/";  // a trailing slash changes nothing
  const rd::DatasetImages train = rd::training_set(cat);
  CHECK(train.layout == rd::Layout::visa);
  CHECK(train.images == std::vector<std::string>{t / "candle/Data/Images/Normal/0000.JPG"});
  const rd::TestSet test = rd::test_set(cat);
  REQUIRE(test.images.size() == 2);
  CHECK(test.images[0].path == t / "candle/Data/Images/Anomaly/000.JPG");
  CHECK(test.images[0].label == 1);
  CHECK(test.images[0].defect == "anomaly");
  CHECK(test.images[0].mask == t / "candle/Data/Masks/Anomaly/000.png");
  CHECK(test.images[1].label == 0);
  CHECK(test.images[1].defect == "good");
  CHECK(test.images[1].mask.empty());

  // --split FILE: another split of the same images (paths still relative to the dataset root).
  t.file("my_split.csv", "object,split,label,image,mask\ncandle,test,anomaly,candle/Data/Images/Anomaly/000.JPG,\n");
  rd::DatasetOptions o;
  o.split = t / "my_split.csv";
  CHECK(paths(rd::test_set(cat, o).images) == std::vector<std::string>{t / "candle/Data/Images/Anomaly/000.JPG"});
  CHECK_THROWS_WITH_AS(rd::training_set(cat, o),
                       ("split file '" + t / "my_split.csv" + "' has no normal training rows for '" + cat + "'").c_str(),
                       rd::UsageError);
}

TEST_CASE("visa_split_file_errors_name_the_file_and_the_cause") {
  Tree t;
  t.files({"pcb1/Data/Images/Normal/0000.JPG"});
  CHECK_THROWS_WITH_AS(rd::training_set(t / "pcb1"),
                       ("VisA category '" + t / "pcb1" + "' needs its split file '" + t / "split_csv/1cls.csv" +
                        "' (missing; give one with --split FILE)")
                           .c_str(),
                       rd::UsageError);
  t.file("split_csv/1cls.csv", "object,split,label,image,mask\ncandle,train,normal,candle/a.JPG,\n");
  CHECK_THROWS_WITH_AS(rd::test_set(t / "pcb1"),
                       ("split file '" + t / "split_csv/1cls.csv" + "' has no rows for object 'pcb1' (the folder name "
                        "of '" + t / "pcb1" + "'); it has: candle")
                           .c_str(),
                       rd::UsageError);
  t.file("split_csv/1cls.csv", "object,split,label,image,mask\npcb1,train,defective,pcb1/a.JPG,\n");
  CHECK_THROWS_WITH_AS(rd::training_set(t / "pcb1"),
                       ("'" + t / "split_csv/1cls.csv" + "' line 2: label 'defective'; expected normal or anomaly").c_str(),
                       rd::FormatError);
  t.file("split_csv/1cls.csv", "object,image\n");
  CHECK_THROWS_AS(rd::training_set(t / "pcb1"), rd::FormatError);
}

TEST_CASE("mvtec_loco_masks_are_folders_whose_union_is_the_mask") {
  Tree t;
  t.files({"train/good/000.png", "validation/good/000.png", "test/good/000.png", "test/logical_anomalies/000.png",
           "test/structural_anomalies/000.png"});
  t.mask("ground_truth/logical_anomalies/000/000.png", {0, 1}, 10);  // LOCO values masks by defect type
  t.mask("ground_truth/logical_anomalies/000/001.png", {7}, 255);
  const rd::TestSet test = rd::test_set(t.root.string());
  CHECK(test.layout == rd::Layout::mvtec_loco);
  REQUIRE(test.images.size() == 3);
  CHECK(test.images[0].label == 0);
  CHECK(test.images[1].defect == "logical_anomalies");
  CHECK(test.images[1].mask == t / "ground_truth/logical_anomalies/000");
  CHECK(pixels(rd::read_ground_truth_mask(test.images[1].mask, cv::Size(4, 2))) ==
        std::vector<int>{1, 1, 0, 0, 0, 0, 0, 1});
  CHECK(test.images[2].mask.empty());  // no mask folder for it
  CHECK(rd::validation_set(t.root.string()).images == std::vector<std::string>{t / "validation/good/000.png"});
}

TEST_CASE("btad_calls_normal_images_ok_and_anomalies_ko") {
  Tree t;
  t.files({"train/ok/0000.bmp", "test/ok/0000.bmp", "test/ko/0000.bmp", "test/ko/0001.bmp"});
  t.mask("ground_truth/ko/0000.png", {3});
  t.mask("ground_truth/ko/0001.bmp", {3});  // product 03 keeps BMP masks
  CHECK(rd::training_set(t.root.string()).images == std::vector<std::string>{t / "train/ok/0000.bmp"});
  const rd::TestSet test = rd::test_set(t.root.string());
  REQUIRE(test.images.size() == 3);
  CHECK(test.images[0].path == t / "test/ko/0000.bmp");
  CHECK(test.images[0].label == 1);
  CHECK(test.images[0].defect == "ko");
  CHECK(test.images[0].mask == t / "ground_truth/ko/0000.png");
  CHECK(test.images[1].mask == t / "ground_truth/ko/0001.bmp");
  CHECK(test.images[2].label == 0);
  CHECK(test.images[2].defect == "good");
}

TEST_CASE("broken_layouts_and_misfit_options_are_refused_with_what_was_expected") {
  Tree plain, mvtec;
  plain.files({"a.png"});
  mvtec.files({"train/good/0.png", "test/good/0.png"});
  CHECK(rd::training_set(plain.root.string()).images == std::vector<std::string>{plain / "a.png"});
  CHECK_THROWS_WITH_AS(rd::test_set(plain.root.string()),
                       ("'" + plain.root.string() + "' is not a dataset layout rd knows: expected MVTec AD (train/ or "
                        "test/ (MVTec AD, MPDD)), MVTec AD 2 (test_public/, test_private/ or test_private_mixed/), VisA "
                        "(Data/Images/), MVTec LOCO AD (test/logical_anomalies/ or test/structural_anomalies/), BTAD "
                        "(train/ok/, test/ok/ or test/ko/); --layout NAME says which one it is")
                           .c_str(),
                       rd::UsageError);
  rd::DatasetOptions o;
  o.split = "test_private";
  CHECK_THROWS_WITH_AS(rd::test_set(mvtec.root.string(), o),
                       ("--split is for MVTec AD 2 (a test set) and VisA (a split file); '" + mvtec.root.string() +
                        "' is MVTec AD")
                           .c_str(),
                       rd::UsageError);
  o = {};
  o.layout = rd::Layout::btad;  // forced, and wrong
  CHECK_THROWS_WITH_AS(rd::training_set(mvtec.root.string(), o),
                       ("'" + mvtec.root.string() + "' is laid out as BTAD but has no train/ok/").c_str(),
                       rd::UsageError);
  o.layout = rd::Layout::mvtec_ad2;
  CHECK_THROWS_WITH_AS(rd::test_set(mvtec.root.string(), o),
                       ("'" + mvtec.root.string() + "' is an MVTec AD 2 category without test_public/").c_str(),
                       rd::UsageError);
  CHECK_THROWS_AS(rd::validation_set(mvtec.root.string()), rd::UsageError);
  fs::remove_all(mvtec.root / "train/good");
  CHECK_THROWS_WITH_AS(rd::training_set(mvtec.root.string()),
                       ("'" + mvtec.root.string() + "' is laid out as MVTec AD but has no train/good/").c_str(),
                       rd::UsageError);
}
