#include "io/npy.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "errors.h"
#include "io/atomic_file.h"

namespace rd {
namespace detail {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
// numpy refuses headers above 10000 bytes by default; a little slack, and no huge allocations.
constexpr uint32_t kMaxHeaderSize = 1 << 16;

bool host_is_little_endian() {
  const uint16_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

[[noreturn]] void bad(const std::string& path, const std::string& cause) {
  throw FormatError("cannot read '" + path + "': " + cause);
}

// The header is a Python dict literal, e.g. "{'descr': '<f4', 'fortran_order': False,
// 'shape': (2, 3), }". This parses exactly the literals numpy writes there (strings, True/False,
// tuples of integers) and nothing else, so no input can make it evaluate anything.
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& path) : s_(text), path_(path) {}

  void parse(std::string& descr, bool& fortran, std::vector<int64_t>& shape) {
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (!peek('}')) {
      std::string key = string();
      expect(':');
      if (key == "descr") {
        descr = string(), have_descr = true;
      } else if (key == "fortran_order") {
        fortran = boolean(), have_order = true;
      } else if (key == "shape") {
        shape = tuple(), have_shape = true;
      } else {
        bad(path_, "unexpected key '" + key + "' in header");
      }
      if (!peek('}')) expect(',');
    }
    expect('}');
    skip_space();
    if (pos_ != s_.size()) bad(path_, "trailing characters after the header dictionary");
    if (!have_descr || !have_order || !have_shape) bad(path_, "header lacks descr, fortran_order or shape");
  }

 private:
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t')) ++pos_;
  }
  bool peek(char c) {
    skip_space();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  void expect(char c) {
    if (!peek(c)) bad(path_, std::string("malformed header: expected '") + c + "'");
    ++pos_;
  }
  std::string string() {
    skip_space();
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) bad(path_, "malformed header: expected a string");
    char quote = s_[pos_++];
    auto end = s_.find(quote, pos_);
    if (end == std::string::npos) bad(path_, "malformed header: unterminated string");
    std::string value = s_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return value;
  }
  bool boolean() {
    skip_space();
    for (const char* word : {"True", "False"}) {
      if (s_.compare(pos_, std::strlen(word), word) == 0) {
        pos_ += std::strlen(word);
        return word[0] == 'T';
      }
    }
    bad(path_, "malformed header: fortran_order is not True or False");
  }
  std::vector<int64_t> tuple() {
    std::vector<int64_t> dims;
    expect('(');
    while (!peek(')')) {
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') bad(path_, "malformed header: bad shape");
      int64_t dim = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        if (dim > (std::numeric_limits<int64_t>::max() - 9) / 10) bad(path_, "shape dimension too large");
        dim = dim * 10 + (s_[pos_++] - '0');
      }
      if (peek('L')) ++pos_;  // Python 2 longs, as in files written by old numpy versions
      dims.push_back(dim);
      if (!peek(')')) expect(',');
    }
    expect(')');
    return dims;
  }

  const std::string& s_;
  const std::string& path_;
  size_t pos_ = 0;
};

template <typename T>
T load_little_endian(const char* p) {
  T value;
  if (host_is_little_endian()) {
    std::memcpy(&value, p, sizeof(T));
  } else {
    char swapped[sizeof(T)];
    for (size_t i = 0; i < sizeof(T); ++i) swapped[i] = p[sizeof(T) - 1 - i];
    std::memcpy(&value, swapped, sizeof(T));
  }
  return value;
}

float element_as_float(const std::string& descr, const char* p) {
  if (descr == "<f4") return load_little_endian<float>(p);
  if (descr == "<f8") return static_cast<float>(load_little_endian<double>(p));
  if (descr == "<i8") return static_cast<float>(load_little_endian<int64_t>(p));
  return static_cast<float>(static_cast<unsigned char>(*p));  // |u1, |b1
}

// Reorders a column-major array into row-major: the C-order index walks the shape like an
// odometer (last axis fastest) while the Fortran offset follows with first-axis-fastest strides.
std::vector<float> fortran_to_c(const std::vector<float>& f, const std::vector<int64_t>& shape) {
  std::vector<float> c(f.size());
  const size_t ndim = shape.size();
  std::vector<int64_t> stride(ndim, 1), index(ndim, 0);
  for (size_t k = 1; k < ndim; ++k) stride[k] = stride[k - 1] * shape[k - 1];
  int64_t offset = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    c[i] = f[static_cast<size_t>(offset)];
    for (size_t k = ndim; k-- > 0;) {
      offset += stride[k];
      if (++index[k] < shape[k]) break;
      offset -= stride[k] * shape[k];
      index[k] = 0;
    }
  }
  return c;
}

}  // namespace
}  // namespace detail

void write_npy(const std::string& path, const float* data, int rows, int cols) {
  if (rows < 0 || cols < 0) throw RuntimeFailure("cannot write '" + path + "': negative array dimension");
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                       std::to_string(cols) + "), }";
  // Magic (6) + version (2) + length (2) + header + '\n' is padded with spaces to 64 bytes so
  // that the data is aligned for memory mapping, as numpy itself does.
  const size_t unpadded = detail::kMagicSize + 4 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  const uint16_t header_size = static_cast<uint16_t>(header.size());
  const size_t count = static_cast<size_t>(rows) * static_cast<size_t>(cols);

  write_file_atomically(path, [&](std::ostream& out) {
    out.write(detail::kMagic, detail::kMagicSize);
    const char version_and_size[4] = {1, 0, static_cast<char>(header_size & 0xff), static_cast<char>(header_size >> 8)};
    out.write(version_and_size, 4);
    out << header;
    if (detail::host_is_little_endian()) {
      out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(count * sizeof(float)));
    } else {
      for (size_t i = 0; i < count; ++i) {
        char bytes[4];
        std::memcpy(bytes, &data[i], 4);
        const char swapped[4] = {bytes[3], bytes[2], bytes[1], bytes[0]};
        out.write(swapped, 4);
      }
    }
  });
}

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot open '" + path + "': " + std::strerror(errno));
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError("cannot open '" + path + "': Is a directory");
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);

  char preamble[10] = {};
  in.read(preamble, sizeof preamble);
  if (in.gcount() < 8 || std::memcmp(preamble, detail::kMagic, detail::kMagicSize) != 0)
    detail::bad(path, "not a .npy file");
  const int major = static_cast<unsigned char>(preamble[6]);
  uint32_t header_size = 0;
  uint64_t data_start = 0;
  auto byte = [](char c) { return static_cast<uint32_t>(static_cast<unsigned char>(c)); };
  if (major == 1) {
    header_size = byte(preamble[8]) | byte(preamble[9]) << 8;
    data_start = 10 + uint64_t{header_size};
  } else if (major == 2 || major == 3) {
    char more[2] = {};
    in.read(more, 2);
    header_size = byte(preamble[8]) | byte(preamble[9]) << 8 | byte(more[0]) << 16 | byte(more[1]) << 24;
    data_start = 12 + uint64_t{header_size};
  } else {
    detail::bad(path, "unsupported .npy format version " + std::to_string(major));
  }
  if (header_size > detail::kMaxHeaderSize) detail::bad(path, "header too large");
  if (data_start > file_size) detail::bad(path, "truncated header");
  std::string header(header_size, '\0');
  in.read(&header[0], header_size);

  NpyArray array;
  std::string descr;
  bool fortran = false;
  detail::HeaderParser(header, path).parse(descr, fortran, array.shape);

  size_t item_size = 0;
  if (descr == "<f4")
    item_size = 4;
  else if (descr == "<f8" || descr == "<i8")
    item_size = 8;
  else if (descr == "|u1" || descr == "|b1")
    item_size = 1;  // |b1: masks saved as numpy bool
  else
    detail::bad(path, "unsupported dtype '" + descr + "' (expected <f4, <f8, |u1, |b1 or <i8)");

  // Checks the claimed size against the file before allocating, so a lying header cannot make
  // us allocate terabytes.
  uint64_t count = 1;
  for (int64_t dim : array.shape) {
    if (dim != 0 && count > file_size / static_cast<uint64_t>(dim)) detail::bad(path, "truncated data");
    count *= static_cast<uint64_t>(dim);
  }
  if (count * item_size > file_size - data_start) {
    detail::bad(path, "truncated data (" + std::to_string(file_size - data_start) + " bytes, expected " +
                          std::to_string(count * item_size) + ")");
  }

  std::vector<char> raw(count * item_size);
  in.read(raw.data(), static_cast<std::streamsize>(raw.size()));
  if (static_cast<uint64_t>(in.gcount()) != raw.size()) detail::bad(path, "read error");
  array.data.resize(count);
  for (size_t i = 0; i < count; ++i) array.data[i] = detail::element_as_float(descr, &raw[i * item_size]);
  if (fortran && array.shape.size() > 1) array.data = detail::fortran_to_c(array.data, array.shape);
  return array;
}

}  // namespace rd
