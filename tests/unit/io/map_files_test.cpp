#include "io/map_files.h"

#include <filesystem>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <opencv2/imgcodecs.hpp>

#include "errors.h"
#include "io/npy.h"
#include "support.h"

namespace {

// The value of every pixel, row by row.
std::vector<int> pixels(const cv::Mat& m) {
  std::vector<int> out;
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x) out.push_back(m.at<std::uint8_t>(y, x));
  return out;
}

}  // namespace

TEST_CASE("read_anomaly_map_reads_a_2d_npy_as_float32") {
  const std::string dir = rd::test::scratch_dir("map_files_npy");
  const std::vector<float> values{0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f};
  rd::write_npy(dir + "/m.npy", values.data(), 2, 3);
  const cv::Mat map = rd::read_anomaly_map(dir + "/m.npy");
  REQUIRE(map.type() == CV_32FC1);
  CHECK(map.rows == 2);
  CHECK(map.cols == 3);
  CHECK(map.at<float>(1, 2) == 5.5f);
}

TEST_CASE("read_anomaly_map_reads_a_single_channel_float_tiff") {
  const std::string dir = rd::test::scratch_dir("map_files_tiff");
  cv::Mat written(4, 5, CV_32F, cv::Scalar(0.25));
  written.at<float>(3, 4) = 7.75f;
  REQUIRE(cv::imwrite(dir + "/m.TIFF", written));
  const cv::Mat map = rd::read_anomaly_map(dir + "/m.TIFF");
  REQUIRE(map.type() == CV_32FC1);
  CHECK(map.at<float>(3, 4) == 7.75f);
  CHECK(map.at<float>(0, 0) == 0.25f);
}

TEST_CASE("read_anomaly_map_refuses_missing_files_and_arrays_that_are_not_one_map") {
  const std::string dir = rd::test::scratch_dir("map_files_bad");
  CHECK_THROWS_AS(rd::read_anomaly_map(dir + "/none.npy"), rd::InputError);
  const std::vector<float> values(12, 1.0f);
  rd::write_npy(dir + "/row.npy", values.data(), 1, 12);  // a 1x12 map is still 2-D
  CHECK(rd::read_anomaly_map(dir + "/row.npy").cols == 12);
  CHECK_THROWS_WITH_AS(rd::read_anomaly_map(dir + "/none.tiff"),
                       ("cannot read anomaly map '" + dir + "/none.tiff': No such file or directory").c_str(),
                       rd::InputError);
}

TEST_CASE("binarise_mask_counts_every_non_zero_pixel_of_each_depth_as_anomalous") {
  // VisA's masks hold small class values, MVTec LOCO's a value per defect type: any non-zero is a defect.
  const cv::Mat u8 = (cv::Mat_<std::uint8_t>(1, 4) << 0, 1, 2, 255);
  CHECK(pixels(rd::binarise_mask(u8, u8.size())) == std::vector<int>{0, 1, 1, 1});
  const cv::Mat u16 = (cv::Mat_<std::uint16_t>(1, 4) << 0, 1, 32768, 65535);
  CHECK(pixels(rd::binarise_mask(u16, u16.size())) == std::vector<int>{0, 1, 1, 1});
  const cv::Mat f32 = (cv::Mat_<float>(1, 4) << 0.f, 1e-6f, 0.5f, 1.f);
  CHECK(pixels(rd::binarise_mask(f32, f32.size())) == std::vector<int>{0, 1, 1, 1});
}

TEST_CASE("binarise_mask_resizes_with_nearest_neighbour_at_pixel_centres") {
  // 4x4 of 2x2 blocks down to 2x2: every block becomes one pixel.
  const cv::Mat big = (cv::Mat_<std::uint8_t>(4, 4) << 255, 255, 0, 0,  //
                       255, 255, 0, 0,                                   //
                       0, 0, 255, 255,                                   //
                       0, 0, 255, 255);
  CHECK(pixels(rd::binarise_mask(big, cv::Size(2, 2))) == std::vector<int>{1, 0, 0, 1});
  // Up: each pixel becomes a block.
  const cv::Mat small = (cv::Mat_<std::uint8_t>(1, 2) << 0, 255);
  CHECK(pixels(rd::binarise_mask(small, cv::Size(4, 1))) == std::vector<int>{0, 0, 1, 1});
}

TEST_CASE("read_ground_truth_mask_reads_colour_and_16_bit_images_as_gray") {
  const std::string dir = rd::test::scratch_dir("map_files_mask");
  cv::Mat colour(2, 2, CV_8UC3, cv::Scalar(255, 255, 255));
  colour.at<cv::Vec3b>(0, 0) = cv::Vec3b(0, 0, 0);
  REQUIRE(cv::imwrite(dir + "/c.png", colour));
  CHECK(pixels(rd::read_ground_truth_mask(dir + "/c.png", cv::Size(2, 2))) == std::vector<int>{0, 1, 1, 1});
  cv::Mat deep(1, 2, CV_16U, cv::Scalar(40000));
  deep.at<std::uint16_t>(0, 0) = 0;
  REQUIRE(cv::imwrite(dir + "/d.png", deep));
  CHECK(pixels(rd::read_ground_truth_mask(dir + "/d.png", cv::Size(2, 1))) == std::vector<int>{0, 1});
  CHECK_THROWS_AS(rd::read_ground_truth_mask(dir + "/none.png", cv::Size(2, 2)), rd::InputError);
}

TEST_CASE("read_ground_truth_mask_of_a_folder_is_the_union_of_its_masks") {
  // MVTec LOCO: ground_truth/<type>/<stem>/000.png, 001.png, one per defect, valued per type.
  const std::string dir = rd::test::scratch_dir("map_files_loco") + "/005";
  cv::Mat a(2, 4, CV_8U, cv::Scalar(0)), b(2, 4, CV_8U, cv::Scalar(0));
  a.at<std::uint8_t>(0, 0) = 7;
  b.at<std::uint8_t>(1, 3) = 255;
  b.at<std::uint8_t>(0, 0) = 255;
  std::filesystem::create_directories(dir);
  REQUIRE(cv::imwrite(dir + "/000.png", a));
  REQUIRE(cv::imwrite(dir + "/001.png", b));
  CHECK(pixels(rd::read_ground_truth_mask(dir, cv::Size(4, 2))) == std::vector<int>{1, 0, 0, 0, 0, 0, 0, 1});
  // Masks of one image must agree in size; an empty folder is no mask.
  REQUIRE(cv::imwrite(dir + "/002.png", cv::Mat(3, 4, CV_8U, cv::Scalar(0))));
  CHECK_THROWS_WITH_AS(rd::read_ground_truth_mask(dir, cv::Size(4, 2)),
                       ("mask '" + dir + "/002.png' is 4x3 but '" + dir + "/000.png' in the same folder is 4x2").c_str(),
                       rd::InputError);
  std::filesystem::create_directories(dir + "_empty");
  CHECK_THROWS_WITH_AS(rd::read_ground_truth_mask(dir + "_empty", cv::Size(4, 2)),
                       ("mask folder '" + dir + "_empty' holds no mask image").c_str(), rd::InputError);
}
