#include "io/mvtec_ad2_submission.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <opencv2/imgcodecs.hpp>

#include "errors.h"
#include "support.h"

namespace {

std::vector<unsigned char> bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint32_t le32(const std::vector<unsigned char>& b, std::size_t at) {
  return std::uint32_t(b[at]) | std::uint32_t(b[at + 1]) << 8 | std::uint32_t(b[at + 2]) << 16 |
         std::uint32_t(b[at + 3]) << 24;
}

// float16 bits to float, written out from the IEEE 754 definition (normal numbers and zero).
float half_to_float(std::uint16_t h) {
  const int exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  const float magnitude = exponent == 0 ? std::ldexp(float(mantissa), -24) : std::ldexp(1.0f + mantissa / 1024.0f, exponent - 15);
  return (h & 0x8000) ? -magnitude : magnitude;
}

}  // namespace

TEST_CASE("submission_names_follow_mvtec_ad2_object_and_test_set") {
  CHECK(rd::mvtec_ad2_submission_name("/d/mvtec_ad_2/can/test_private/000_regular.png") ==
        "can/test_private/000_regular");
  CHECK(rd::mvtec_ad2_submission_name("data/fabric/test_private_mixed/012_mixed.png") ==
        "fabric/test_private_mixed/012_mixed");
  CHECK(rd::mvtec_ad2_submission_name("rice/test_public/bad/001_bad.png") == "rice/test_public/bad/001_bad");
  CHECK_THROWS_WITH_AS(rd::mvtec_ad2_submission_name("can/test/000.png"),
                       "'can/test/000.png' is not an image of an MVTec AD 2 test set (<object>/test_private/, "
                       "test_private_mixed/, test_public/ or validation/)",
                       rd::InputError);
}

TEST_CASE("submission_writes_a_full_size_float16_tiff_and_a_0_255_png") {
  const std::string dir = rd::test::scratch_dir("ad2_submission");
  // A 2x2 map for a 4x2 image: bilinear upsampling spreads it; values 65536 and beyond clamp.
  const cv::Mat map = (cv::Mat_<float>(2, 2) << 0.25f, 0.75f, 1.5f, 1e6f);
  const rd::SubmissionFiles f =
      rd::write_mvtec_ad2_submission(dir, "x/vial/test_private/007_regular.png", map, cv::Size(4, 2), 0.75);
  CHECK(f.map == dir + "/anomaly_images/vial/test_private/007_regular.tiff");
  CHECK(f.thresholded == dir + "/anomaly_images_thresholded/vial/test_private/007_regular.png");

  const auto b = bytes_of(f.map);
  REQUIRE(b.size() == 146 + 4 * 2 * 2);
  CHECK(std::memcmp(b.data(), "II*\0", 4) == 0);
  CHECK(le32(b, 4) == 8);
  // The first row, bilinear with half-pixel centres: 0.25, 0.375, 0.625, 0.75 (exact in float16).
  std::vector<float> row;
  for (int c = 0; c < 4; ++c) row.push_back(half_to_float(std::uint16_t(b[146 + 2 * c] | b[147 + 2 * c] << 8)));
  CHECK(row == std::vector<float>{0.25f, 0.375f, 0.625f, 0.75f});
  CHECK(half_to_float(std::uint16_t(b[146 + 14] | b[147 + 14] << 8)) == 65504.0f);

  const cv::Mat png = cv::imread(f.thresholded, cv::IMREAD_UNCHANGED);
  REQUIRE(png.type() == CV_8UC1);
  REQUIRE(png.size() == cv::Size(4, 2));
  const std::vector<int> first{png.at<uchar>(0, 0), png.at<uchar>(0, 1), png.at<uchar>(0, 2), png.at<uchar>(0, 3)};
  CHECK(first == std::vector<int>{0, 0, 0, 255});  // >= the threshold 0.75
}

TEST_CASE("submission_refuses_images_outside_a_test_set_and_maps_of_the_wrong_type") {
  const std::string dir = rd::test::scratch_dir("ad2_submission_bad");
  CHECK_THROWS_AS(rd::write_mvtec_ad2_submission(dir, "a/b.png", cv::Mat(2, 2, CV_32F, 0.0), cv::Size(2, 2), 0.5),
                  rd::InputError);
  CHECK_THROWS_AS(rd::write_float16_tiff(dir + "/m.tiff", cv::Mat(2, 2, CV_64F, 0.0)), rd::InputError);
}
