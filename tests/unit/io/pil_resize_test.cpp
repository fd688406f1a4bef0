// PIL's bilinear resize, reproduced exactly (fixtures from tests/reference/make_resize.py).
#include <doctest/doctest.h>

#include <opencv2/imgcodecs.hpp>

#include "io/pil_resize.h"
#include "support.h"

TEST_CASE("8-bit resizes equal Pillow's BILINEAR byte for byte") {
  for (const char* name : {"shrink", "odd", "grow", "wide", "width_only"}) {
    CAPTURE(name);
    const std::string base = rd::test::fixtures() + "/resize/" + name;
    cv::Mat in = cv::imread(base + "_in.png", cv::IMREAD_COLOR), want = cv::imread(base + "_out.png", cv::IMREAD_COLOR);
    REQUIRE(!in.empty());
    REQUIRE(!want.empty());
    cv::Mat got = rd::pil_resize_bilinear(in, want.cols, want.rows);
    REQUIRE(got.size() == want.size());
    CHECK(cv::norm(got, want, cv::NORM_INF) == 0);
  }
}

TEST_CASE("a resize to the same size returns the image unchanged") {
  cv::Mat img(5, 7, CV_8UC3, cv::Scalar(1, 2, 3));
  CHECK(cv::norm(rd::pil_resize_bilinear(img, 7, 5), img, cv::NORM_INF) == 0);
}
