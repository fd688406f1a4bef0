// SHA-256 (FIPS 180-4): downloaded teacher weights are checked against the hash prefix that
// torchvision puts in their file names.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace rd {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  // The digest as 64 lowercase hex digits. Ends the computation: call once.
  std::string hex_digest();

 private:
  void block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  uint64_t length_ = 0;  // bytes hashed so far
};

// The SHA-256 of a whole file as hex; throws RuntimeFailure naming the file when it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace rd
