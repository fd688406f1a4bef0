#include "io/npy.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "errors.h"

namespace fs = std::filesystem;

namespace {

// .npy files written by numpy (tests/reference/make_npy.py), found through RD_FIXTURES.
std::string fixture(const std::string& name) {
  const char* dir = std::getenv("RD_FIXTURES");
  REQUIRE_MESSAGE(dir != nullptr, "RD_FIXTURES is not set: run through ctest, or run tests/reference/make_npy.py DIR");
  return (fs::path(dir) / "npy" / name).string();
}

// A per-process scratch directory, removed when the tests end.
struct ScratchDir {
  fs::path path = fs::temp_directory_path() / ("rd_npy_" + std::to_string(::getpid()));
  ScratchDir() { fs::create_directories(path); }
  ~ScratchDir() { fs::remove_all(path); }
};

std::string scratch(const std::string& name) {
  static ScratchDir dir;
  return (dir.path / name).string();
}

std::string read_all(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The 3x4 grid make_npy.py writes: element [i, j] = 10*i + j + 0.5, optionally floored.
void check_grid(const rd::NpyArray& a, bool floored) {
  REQUIRE(a.shape == std::vector<int64_t>{3, 4});
  REQUIRE(a.data.size() == 12);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) CHECK(a.data[i * 4 + j] == 10 * i + j + (floored ? 0.0f : 0.5f));
}

}  // namespace

TEST_CASE("write_npy_output_reads_back_with_the_same_shape_and_values") {
  const float values[6] = {0.0f, -1.5f, 3.25f, 1e-30f, 1e30f, 42.0f};
  auto path = scratch("roundtrip.npy");
  rd::write_npy(path, values, 2, 3);
  auto a = rd::read_npy(path);
  CHECK(a.shape == std::vector<int64_t>{2, 3});
  CHECK(a.data == std::vector<float>(values, values + 6));
}

TEST_CASE("write_npy_writes_a_version_1_header_padded_to_64_bytes_as_numpy_does") {
  const float values[2] = {1.0f, 2.0f};
  auto path = scratch("header.npy");
  rd::write_npy(path, values, 1, 2);
  auto bytes = read_all(path);
  REQUIRE(bytes.size() == 128 + 8);
  CHECK(bytes.compare(0, 8, std::string("\x93NUMPY\x01\x00", 8)) == 0);
  const size_t header_size = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
  CHECK(10 + header_size == 128);
  CHECK(bytes.substr(10, 118) ==
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }" + std::string(58, ' ') + "\n");
}

TEST_CASE("write_npy_writes_an_empty_array") {
  auto path = scratch("empty.npy");
  rd::write_npy(path, nullptr, 0, 7);
  auto a = rd::read_npy(path);
  CHECK(a.shape == std::vector<int64_t>{0, 7});
  CHECK(a.data.empty());
}

TEST_CASE("read_npy_reads_numpy_float32_float64_int64_uint8_and_bool") {
  check_grid(rd::read_npy(fixture("f4_3x4.npy")), false);
  check_grid(rd::read_npy(fixture("f8_3x4.npy")), false);
  check_grid(rd::read_npy(fixture("i8_3x4.npy")), true);
  check_grid(rd::read_npy(fixture("u1_3x4.npy")), true);
  auto b = rd::read_npy(fixture("b1_3x4.npy"));
  REQUIRE(b.data.size() == 12);
  for (int k = 0; k < 12; ++k) CHECK(b.data[k] == static_cast<float>(k % 4 % 2));
}

TEST_CASE("read_npy_reorders_fortran_arrays_into_c_order") {
  check_grid(rd::read_npy(fixture("f4_3x4_fortran.npy")), false);
  auto cube = rd::read_npy(fixture("f4_2x3x4_fortran.npy"));
  REQUIRE(cube.shape == std::vector<int64_t>{2, 3, 4});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) CHECK(cube.data[(i * 3 + j) * 4 + k] == 100 * i + 10 * j + k);
}

TEST_CASE("read_npy_reads_format_versions_2_and_3") {
  check_grid(rd::read_npy(fixture("f4_3x4_v2.npy")), false);
  check_grid(rd::read_npy(fixture("f4_3x4_v3.npy")), false);
}

TEST_CASE("read_npy_reads_scalars_vectors_and_empty_arrays") {
  auto scalar = rd::read_npy(fixture("f4_scalar.npy"));
  CHECK(scalar.shape.empty());
  CHECK(scalar.data == std::vector<float>{7.25f});
  auto vector = rd::read_npy(fixture("f4_vector.npy"));
  CHECK(vector.shape == std::vector<int64_t>{5});
  CHECK(vector.data == std::vector<float>{0, 1, 2, 3, 4});
  auto empty = rd::read_npy(fixture("f4_0x5.npy"));
  CHECK(empty.shape == std::vector<int64_t>{0, 5});
  CHECK(empty.data.empty());
}

TEST_CASE("read_npy_refuses_other_dtypes_naming_the_file") {
  auto path = fixture("f4_big_endian.npy");
  CHECK_THROWS_WITH_AS(
      rd::read_npy(path),
      ("cannot read '" + path + "': unsupported dtype '>f4' (expected <f4, <f8, |u1, |b1 or <i8)").c_str(),
      rd::FormatError);
  CHECK_THROWS_AS(rd::read_npy(fixture("i4_3x4.npy")), rd::FormatError);
  CHECK_THROWS_AS(rd::read_npy(fixture("object.npy")), rd::FormatError);
}

TEST_CASE("read_npy_refuses_a_truncated_file") {
  auto path = fixture("truncated.npy");
  CHECK_THROWS_WITH_AS(rd::read_npy(path),
                       ("cannot read '" + path + "': truncated data (43 bytes, expected 48)").c_str(), rd::FormatError);
}

TEST_CASE("read_npy_refuses_files_that_are_not_npy") {
  auto path = scratch("not.npy");
  std::ofstream(path) << "P5 2 2 255\n....";
  CHECK_THROWS_WITH_AS(rd::read_npy(path), ("cannot read '" + path + "': not a .npy file").c_str(), rd::FormatError);
  std::ofstream(path, std::ios::binary) << std::string("\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'", 24);
  CHECK_THROWS_AS(rd::read_npy(path), rd::FormatError);
  std::ofstream(path, std::ios::binary) << std::string("\x93NUMPY\x09\x00\x00\x00", 10);
  CHECK_THROWS_WITH_AS(rd::read_npy(path), ("cannot read '" + path + "': unsupported .npy format version 9").c_str(),
                       rd::FormatError);
}

TEST_CASE("read_npy_refuses_a_header_that_claims_more_data_than_the_file_holds") {
  auto path = scratch("huge.npy");
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4000000000, 4000000000, 9), }";
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out << std::string("\x93NUMPY\x01\x00", 8) << static_cast<char>(header.size()) << '\0' << header << "abcd";
  out.close();
  CHECK_THROWS_WITH_AS(rd::read_npy(path), doctest::Contains("truncated data"), rd::FormatError);
}

TEST_CASE("read_npy_refuses_headers_with_anything_but_numpy_literals") {
  auto path = scratch("evil.npy");
  for (std::string header :
       {"{'descr': '<f4', 'fortran_order': __import__('os'), 'shape': (1,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", "{'descr': '<f4', 'shape': (1,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1,) } trailing"}) {
    std::ofstream out(path, std::ios::binary);
    out << std::string("\x93NUMPY\x01\x00", 8) << static_cast<char>(header.size()) << '\0' << header << "abcd";
    out.close();
    CHECK_THROWS_AS(rd::read_npy(path), rd::FormatError);
  }
}

TEST_CASE("read_npy_of_a_missing_file_or_a_directory_throws_input_error") {
  CHECK_THROWS_WITH_AS(rd::read_npy("/nonexistent/map.npy"),
                       "cannot open '/nonexistent/map.npy': No such file or directory", rd::InputError);
  CHECK_THROWS_AS(rd::read_npy(fs::temp_directory_path().string()), rd::InputError);
}
