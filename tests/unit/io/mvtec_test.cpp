#include "io/mvtec.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "errors.h"
#include "support.h"

namespace fs = std::filesystem;

namespace {

// A fresh directory tree per test, removed afterwards.
struct Tree : rd::test::TempTree {
  Tree() : TempTree("mvtec") {}
};

// A small MVTec AD category: two defects, masks for all anomalous images but one.
void make_category(Tree& t) {
  t.files({"train/good/000.png", "train/good/001.png", "test/good/000.png", "test/crack/000.png", "test/crack/001.png",
           "test/scratch/000.png", "ground_truth/crack/000_mask.png", "ground_truth/scratch/000_mask.png",
           "license.txt", "readme.txt"});
}

}  // namespace

TEST_CASE("is_mvtec_category_needs_a_train_or_test_folder") {
  Tree t;
  CHECK_FALSE(rd::is_mvtec_category(t.root.string()));
  t.files({"a.png", "train.png"});
  CHECK_FALSE(rd::is_mvtec_category(t.root.string()));
  t.files({"test/good/a.png"});
  CHECK(rd::is_mvtec_category(t.root.string()));
}

TEST_CASE("training_images_of_a_category_are_those_of_train_good") {
  Tree t;
  make_category(t);
  CHECK(rd::training_images(t.root.string()) ==
        std::vector<std::string>{t / "train/good/000.png", t / "train/good/001.png"});
}

TEST_CASE("training_images_of_a_plain_folder_are_all_images_below_it") {
  Tree t;
  t.files({"b.png", "sub/a.jpg"});
  CHECK(rd::training_images(t.root.string()) == std::vector<std::string>{t / "b.png", t / "sub/a.jpg"});
}

TEST_CASE("training_images_refuses_a_category_without_train_good_instead_of_training_on_test") {
  Tree t;
  t.files({"test/crack/000.png", "train/bad/000.png"});
  CHECK_THROWS_AS(rd::training_images(t.root.string()), rd::UsageError);
}

TEST_CASE("test_images_label_good_0_and_other_defects_1_sorted_by_path_with_masks_that_exist") {
  Tree t;
  make_category(t);
  auto images = rd::test_images(t.root.string());
  REQUIRE(images.size() == 4);
  CHECK(images[0].path == t / "test/crack/000.png");
  CHECK(images[0].label == 1);
  CHECK(images[0].defect == "crack");
  CHECK(images[0].mask == t / "ground_truth/crack/000_mask.png");
  CHECK(images[1].path == t / "test/crack/001.png");
  CHECK(images[1].mask.empty());
  CHECK(images[2].path == t / "test/good/000.png");
  CHECK(images[2].label == 0);
  CHECK(images[2].defect == "good");
  CHECK(images[2].mask.empty());
  CHECK(images[3].path == t / "test/scratch/000.png");
  CHECK(images[3].label == 1);
  CHECK(images[3].mask == t / "ground_truth/scratch/000_mask.png");
}

TEST_CASE("test_images_of_the_novelty_protocol_have_labels_but_no_masks") {
  Tree t;
  t.files({"train/good/a.png", "test/good/a.png", "test/other_class/b.jpg"});
  auto images = rd::test_images(t.root.string());
  REQUIRE(images.size() == 2);
  CHECK(images[0].label == 0);
  CHECK(images[1].label == 1);
  CHECK(images[1].defect == "other_class");
  CHECK(images[1].mask.empty());
}

TEST_CASE("test_images_find_masks_named_like_the_image_and_keep_nested_folders") {
  Tree t;
  t.files({"test/ko/0001.bmp", "ground_truth/ko/0001.png", "test/ko/part/2.png", "ground_truth/ko/part/2_mask.png"});
  auto images = rd::test_images(t.root.string() + "/");
  REQUIRE(images.size() == 2);
  CHECK(images[0].mask == t / "ground_truth/ko/0001.png");
  CHECK(images[1].defect == "ko");
  CHECK(images[1].mask == t / "ground_truth/ko/part/2_mask.png");
}

TEST_CASE("test_images_directly_in_test_have_an_unknown_label") {
  Tree t;
  t.files({"test/loose.png"});
  auto images = rd::test_images(t.root.string());
  REQUIRE(images.size() == 1);
  CHECK(images[0].label == -1);
  CHECK(images[0].defect.empty());
}

TEST_CASE("test_images_throws_usage_error_without_a_test_folder") {
  Tree t;
  t.files({"train/good/a.png"});
  CHECK_THROWS_WITH_AS(rd::test_images(t.root.string()),
                       ("'" + t.root.string() + "' is not an MVTec AD category: it has no test/ folder").c_str(),
                       rd::UsageError);
}
