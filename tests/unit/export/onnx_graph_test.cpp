#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include <doctest/doctest.h>

#include "errors.h"
#include "export/onnx_graph.h"
#include "rd_torch.h"

namespace {

uint16_t torch_half_bits(float v) {
  const auto h = torch::tensor({v}).to(torch::kHalf);
  uint16_t bits;
  std::memcpy(&bits, h.data_ptr(), 2);
  return bits;
}

}  // namespace

TEST_CASE("half_bits rounds as torch's float -> half conversion") {
  std::vector<float> values = {0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 65519.0f, 65520.0f, 1e6f, -1e6f,
                               6.1035156e-05f, 6.0975552e-05f, 5.9604645e-08f, 2.9802322e-08f, 2.98023259e-08f,
                               1e-9f, 0.1f, 1.0009765625f, 1.00048828125f, 1.00146484375f,  // ties to even
                               std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()};
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> exponent(-27.0f, 17.0f);
  for (int i = 0; i < 20000; ++i) values.push_back((i % 2 ? -1.0f : 1.0f) * std::exp2(exponent(rng)));
  for (float v : values) {
    CAPTURE(v);
    CHECK(rd::half_bits(v) == torch_half_bits(v));
  }
  CHECK((rd::half_bits(std::numeric_limits<float>::quiet_NaN()) & 0x7fff) > 0x7c00);  // still a NaN
}

TEST_CASE("a graph the checker rejects is an error that says so") {
  rd::OnnxGraph g(17, rd::OnnxElement::Float32);
  g.input("x", rd::OnnxElement::Float32, {-1, 3});
  g.output(g.node("NoSuchOperator", {"x"}), "y", rd::OnnxElement::Float32, {-1, 3});
  CHECK_THROWS_WITH_AS(g.serialize(), doctest::Contains("ONNX checker"), rd::RuntimeFailure);
}

TEST_CASE("a type mismatch between nodes is caught before the file is written") {
  rd::OnnxGraph g(17, rd::OnnxElement::Float32);
  g.input("x", rd::OnnxElement::Float32, {-1, 3});
  const std::string half = g.cast("x", rd::OnnxElement::Float16);
  g.output(g.add(half, "x"), "y", rd::OnnxElement::Float32, {-1, 3});
  CHECK_THROWS_AS(g.serialize(), rd::RuntimeFailure);
}
