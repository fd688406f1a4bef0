// NumPy .npy files: anomaly maps go out as float32 that `numpy.load` reads as is; maps and
// masks made by other tools come back in.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace rd {

// Writes a rows x cols float32 array ('<f4', C order, format 1.0 with the header padded to a
// multiple of 64 bytes as numpy writes it), atomically (see write_file_atomically).
// Throws RuntimeFailure on I/O errors or a negative dimension.
void write_npy(const std::string& path, const float* data, int rows, int cols);

// An array read from a .npy file, converted to float32 in C (row-major) order.
struct NpyArray {
  std::vector<int64_t> shape;  // empty for a 0-d array, which holds one value
  std::vector<float> data;
};

// Reads a .npy file of dtype <f4, <f8, |u1, |b1 (bool, as 0/1) or <i8, in C or Fortran order,
// format version 1, 2 or 3. Throws FormatError naming the file for anything else (other dtypes, big-endian, pickled
// objects, a bad or truncated file), InputError when the file cannot be opened.
NpyArray read_npy(const std::string& path);

}  // namespace rd
