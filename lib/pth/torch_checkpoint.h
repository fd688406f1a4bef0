// Reads the tensors of a PyTorch torch.save checkpoint (a possibly nested dict of tensors, such
// as a torchvision state dict) without LibTorch and without executing the pickle: both the zip
// format (torch >= 1.6) and the legacy one (_use_new_zipfile_serialization=False).
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rd {

enum class DType { Float32, Float16, BFloat16, Float64, Int64, Int32, Int16, Int8, UInt8, Bool };

// Returns torch's name of the dtype without "torch." ("float32", "bfloat16", ...).
const char* dtype_name(DType);

// Returns the size of one element in bytes.
size_t dtype_size(DType);

// A tensor as torch.save wrote it: a view (shape, stride, offset) of a shared storage.
struct RawTensor {
  DType dtype = DType::Float32;
  std::vector<int64_t> shape;
  std::vector<int64_t> stride;   // in elements, as torch reports it
  int64_t offset = 0;            // storage offset, in elements
  std::shared_ptr<const std::vector<unsigned char>> storage;  // the whole storage's bytes (little-endian)

  // Returns the number of elements (1 for a 0-d tensor).
  int64_t numel() const;

  // Returns a row-major contiguous copy, converted (fp16/bf16/f64/int) to float32.
  std::vector<float> to_float() const;
};

// Keys of nested dicts are joined with '.', e.g. {'bn': {'conv1.weight': t}} -> "bn.conv1.weight".
// Non-tensor, non-dict values (ints, strings, None) are skipped.
using TensorDict = std::map<std::string, RawTensor>;

// Reads the checkpoint at `path`, zip or legacy. Throws FormatError naming the file and cause.
TensorDict read_torch_checkpoint(const std::string& path);

// Reads a checkpoint held in memory; `name` stands for the file in error messages.
TensorDict read_torch_checkpoint_bytes(const unsigned char* data, size_t size, const std::string& name);

}  // namespace rd
