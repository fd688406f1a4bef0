#include "io/sha256.h"

#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "errors.h"
#include "support.h"

namespace {

std::string sha256_of(const std::string& text) {
  rd::Sha256 h;
  h.update(text.data(), text.size());
  return h.hex_digest();
}

}  // namespace

// The test vectors of FIPS 180-4's examples (NIST CSRC), including the two-block message.
TEST_CASE("sha256_matches_the_nist_test_vectors") {
  CHECK(sha256_of("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_of("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_of(std::string(1000000, 'a')) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256_gives_the_same_digest_however_the_input_is_split") {
  const std::string text(1000, 'x');
  for (std::size_t piece : {1, 55, 56, 63, 64, 65, 999}) {
    rd::Sha256 h;
    for (std::size_t at = 0; at < text.size(); at += piece) h.update(text.data() + at, std::min(piece, text.size() - at));
    CHECK_MESSAGE(h.hex_digest() == sha256_of(text), "pieces of " << piece);
  }
}

TEST_CASE("sha256_file_hashes_the_whole_file_and_names_a_missing_one") {
  const std::string dir = rd::test::scratch_dir("sha256_file");
  const std::string path = dir + "/data.bin";
  std::ofstream(path, std::ios::binary) << std::string(3 << 20, 'a') << "tail";
  CHECK(rd::sha256_file(path) == sha256_of(std::string(3 << 20, 'a') + "tail"));
  CHECK_THROWS_WITH_AS(rd::sha256_file(dir + "/absent"), doctest::Contains("absent"), rd::RuntimeFailure);
}
