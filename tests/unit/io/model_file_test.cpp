// The .rdm container: round trip, and clear refusals of truncated, corrupt, foreign and newer files.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>

#include "errors.h"
#include "io/model_file.h"
#include "support.h"

namespace {

std::vector<unsigned char> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string write_sample(const std::string& dir) {
  static const float weights[6] = {1, 2, 3, 4, 5, 6};
  static const int64_t steps[1] = {42};
  const std::string path = dir + "/sample.rdm";
  rd::write_model_file(path, {{"kind", "rd-model"}, {"backbone", "resnet18"}},
                       {{"a.weight", rd::DType::Float32, {2, 3}, weights, sizeof weights},
                        {"a.steps", rd::DType::Int64, {}, steps, sizeof steps}});
  return path;
}

}  // namespace

TEST_CASE("a model file round-trips metadata and tensors exactly") {
  const auto path = write_sample(rd::test::scratch_dir("model-file-roundtrip"));
  rd::ModelFileContents c = rd::read_model_file(path);
  CHECK(c.meta["backbone"] == "resnet18");
  REQUIRE(c.tensors.count("a.weight"));
  CHECK(c.tensors["a.weight"].shape == std::vector<int64_t>{2, 3});
  CHECK(c.tensors["a.weight"].to_float() == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(c.tensors["a.steps"].to_float() == std::vector<float>{42});
  CHECK(c.digest.size() == 16);
}

TEST_CASE("a model file truncated at any byte is refused with a one-line cause") {
  const auto bytes = read_all(write_sample(rd::test::scratch_dir("model-file-truncated")));
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    CAPTURE(cut);
    std::vector<unsigned char> torn(bytes.begin(), bytes.begin() + long(cut));
    CHECK_THROWS_AS(rd::read_model_file_bytes(torn, "torn.rdm"), rd::FormatError);
  }
}

TEST_CASE("any flipped byte is caught by the checksum or the header checks") {
  const auto bytes = read_all(write_sample(rd::test::scratch_dir("model-file-flip")));
  for (size_t at = 0; at < bytes.size(); at += 7) {
    CAPTURE(at);
    auto bad = bytes;
    bad[at] ^= 0x5a;
    CHECK_THROWS_AS(rd::read_model_file_bytes(bad, "flipped.rdm"), rd::FormatError);
  }
}

TEST_CASE("a PNG renamed .rdm and a file from a newer format version are named as such") {
  std::vector<unsigned char> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                    0,    0,   0,   1,   0,    0,    0,    1,   8, 2, 0, 0,  0};
  CHECK_THROWS_WITH_AS(rd::read_model_file_bytes(png, "photo.rdm"),
                       "'photo.rdm': not an rd model file (29 bytes, no rd model header)", rd::FormatError);

  auto bytes = read_all(write_sample(rd::test::scratch_dir("model-file-version")));
  bytes[8] = 4;  // format version 4, little-endian u32 after the magic
  CHECK_THROWS_WITH_AS(rd::read_model_file_bytes(bytes, "new.rdm"),
                       "'new.rdm': model format version 4 is newer than this rd reads (3); upgrade rd",
                       rd::FormatError);
}

TEST_CASE("a file is stamped with the version it asks for, so older readers refuse only what they cannot read") {
  const auto dir = rd::test::scratch_dir("model-file-stamp");
  const float one = 1;
  for (uint32_t version : {1u, 2u}) {
    const std::string path = dir + "/v.rdm";
    rd::write_model_file(path, {{"kind", "rd-model"}}, {{"a", rd::DType::Float32, {1}, &one, sizeof one}}, version);
    CHECK(read_all(path)[8] == version);
    CHECK(rd::read_model_file(path).tensors.size() == 1);
  }
}

TEST_CASE("writing a model over an existing one replaces it whole") {
  const auto dir = rd::test::scratch_dir("model-file-replace");
  const auto path = write_sample(dir);
  const float one = 7;
  rd::write_model_file(path, {{"kind", "rd-model"}}, {{"b", rd::DType::Float32, {1}, &one, sizeof one}});
  rd::ModelFileContents c = rd::read_model_file(path);
  CHECK(c.tensors.size() == 1);
  CHECK(c.tensors["b"].to_float() == std::vector<float>{7});
}

TEST_CASE("a digest given in parts equals the digest of the whole") {
  std::vector<unsigned char> bytes(1000);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(i * 37 + 11);
  rd::ContentDigest d(bytes.size());
  d.update(bytes.data(), 512);
  d.update(bytes.data() + 512, 480);
  d.update(bytes.data() + 992, 8);
  CHECK(d.finish() == rd::content_digest(bytes.data(), bytes.size()));
  bytes[999] ^= 1;
  CHECK(d.finish() != rd::content_digest(bytes.data(), bytes.size()));
  rd::ContentDigest ragged(bytes.size());
  CHECK_THROWS_AS(ragged.update(bytes.data(), 5), std::logic_error);  // only the last part may end mid-word
}

TEST_CASE("the metadata alone reads back with the model id, without the tensors") {
  const auto dir = rd::test::scratch_dir("model-file-metadata");
  const auto path = write_sample(dir);
  const rd::ModelFileContents whole = rd::read_model_file(path);
  const rd::ModelFileContents meta = rd::read_model_metadata(path);
  CHECK(meta.meta == whole.meta);
  CHECK(meta.digest == whole.digest);
  CHECK(meta.tensors.empty());

  const auto bytes = read_all(path);
  for (size_t cut : {size_t{0}, size_t{10}, size_t{30}, bytes.size() / 2}) {
    CAPTURE(cut);
    std::ofstream(dir + "/torn.rdm", std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), long(cut));
    CHECK_THROWS_AS(rd::read_model_metadata(dir + "/torn.rdm"), rd::FormatError);
  }
  CHECK_THROWS_WITH_AS(rd::read_model_metadata(dir + "/missing.rdm"),
                       doctest::Contains("missing.rdm': cannot open"), rd::FormatError);
}
