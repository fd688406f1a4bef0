// The `.rdm` model file: one self-contained, versioned, checksummed container of metadata
// (JSON) and named tensors. Training checkpoints use the same container with extra tensors.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pth/torch_checkpoint.h"

namespace rd {

// The newest format version this rd reads. 2: the model is tiled (metadata `tiling`).
// 3: the model is an RD++ one (metadata `method`, tensors `proj.*`).
constexpr uint32_t kModelFormatVersion = 3;

struct TensorView {
  std::string name;
  DType dtype = DType::Float32;
  std::vector<int64_t> shape;
  const void* data = nullptr;  // contiguous, little-endian
  size_t nbytes = 0;
};

struct ModelFileContents {
  nlohmann::json meta;
  TensorDict tensors;  // all share one storage buffer
  std::string digest;  // 16 hex digits identifying the file's content (the model id)
};

// Writes the container atomically: a reader sees the old file or the new one, never a torn one.
// `version` is the oldest format that describes the contents, so that older readers take every
// file they can read correctly. Returns the digest.
std::string write_model_file(const std::string& path, const nlohmann::json& meta,
                             const std::vector<TensorView>& tensors, uint32_t version = 1);

// Reads and verifies a container; throws FormatError naming the file and the cause (truncated,
// not an rd model, newer format version, checksum mismatch, tensor past the end).
ModelFileContents read_model_file(const std::string& path);
ModelFileContents read_model_file_bytes(std::vector<unsigned char> bytes, const std::string& name);

// Reads only the metadata and the model id (the digest stored at the end), for tools that run no
// network (rd-report): the tensors are neither read nor checksummed, so a 300 MB model costs a
// few kB of reading. `tensors` is empty. Throws FormatError as read_model_file does for a file
// that is not an rd model, too short, of a newer version or with a corrupt header.
ModelFileContents read_model_metadata(const std::string& path);

// 64-bit content hash used for the file checksum and model ids, as 16 hex digits.
std::string content_digest(const unsigned char* data, size_t size);

// content_digest of `total` bytes given in parts (each a multiple of 8 bytes but the last).
class ContentDigest {
 public:
  explicit ContentDigest(size_t total);
  void update(const unsigned char* data, size_t size);
  std::string finish() const;  // as content_digest writes it
  uint64_t value() const;

 private:
  uint64_t h_;
  size_t left_;
};

}  // namespace rd
