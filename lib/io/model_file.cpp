#include "io/model_file.h"

#include <algorithm>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "errors.h"
#include "io/atomic_file.h"

namespace rd {
namespace {

// PNG-style magic: a non-ASCII first byte and line endings catch text-mode mangling.
constexpr unsigned char kMagic[8] = {0x89, 'R', 'D', 'M', '\r', '\n', 0x1a, '\n'};
constexpr size_t kPrefixSize = 24;  // magic, u32 version, u32 reserved, u64 header size
constexpr size_t kAlign = 64;
constexpr size_t kDigestSize = 8;

size_t aligned(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

}  // namespace

// FNV-style over 8-byte words with a final avalanche: fast on hundreds of MB, and any truncation
// or flipped byte changes it.
ContentDigest::ContentDigest(size_t total) : h_(0xcbf29ce484222325ULL ^ total), left_(total) {}

void ContentDigest::update(const unsigned char* p, size_t n) {
  if (n > left_) throw std::logic_error("ContentDigest: more bytes than announced");
  left_ -= n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h_ = (h_ ^ w) * 0x100000001b3ULL;
    h_ ^= h_ >> 29;
  }
  if (i < n && left_ > 0) throw std::logic_error("ContentDigest: only the last part may end mid-word");
  for (; i < n; ++i) h_ = (h_ ^ p[i]) * 0x100000001b3ULL;
}

uint64_t ContentDigest::value() const {
  uint64_t h = h_;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

std::string ContentDigest::finish() const { return fmt::format("{:016x}", value()); }

namespace {

uint64_t hash64(const unsigned char* p, size_t n) {
  ContentDigest d(n);
  d.update(p, n);
  return d.value();
}

void put_u32(std::string& s, uint32_t v) { for (int i = 0; i < 4; ++i) s.push_back(char((v >> (8 * i)) & 0xff)); }
void put_u64(std::string& s, uint64_t v) { for (int i = 0; i < 8; ++i) s.push_back(char((v >> (8 * i)) & 0xff)); }
uint64_t get_u64(const unsigned char* p) { uint64_t v = 0; for (int i = 7; i >= 0; --i) v = (v << 8) | p[i]; return v; }
uint32_t get_u32(const unsigned char* p) { uint32_t v = 0; for (int i = 3; i >= 0; --i) v = (v << 8) | p[i]; return v; }

DType dtype_from_name(const std::string& name, const std::string& file) {
  for (DType d : {DType::Float32, DType::Float16, DType::BFloat16, DType::Float64, DType::Int64,
                  DType::Int32, DType::Int16, DType::Int8, DType::UInt8, DType::Bool})
    if (name == dtype_name(d)) return d;
  throw FormatError(fmt::format("'{}': unknown tensor dtype '{}'", file, name));
}

}  // namespace

std::string content_digest(const unsigned char* data, size_t size) {
  ContentDigest d(size);
  d.update(data, size);
  return d.finish();
}

std::string write_model_file(const std::string& path, const nlohmann::json& meta,
                             const std::vector<TensorView>& tensors, uint32_t version) {
  nlohmann::json index = nlohmann::json::array();
  size_t offset = 0;
  for (const auto& t : tensors) {
    index.push_back({{"name", t.name}, {"dtype", dtype_name(t.dtype)}, {"shape", t.shape},
                     {"offset", offset}, {"nbytes", t.nbytes}});
    offset = aligned(offset + t.nbytes);
  }
  const std::string header = nlohmann::json{{"meta", meta}, {"tensors", index}}.dump();
  std::string head(reinterpret_cast<const char*>(kMagic), 8);
  put_u32(head, version);
  put_u32(head, 0);
  put_u64(head, header.size());
  head += header;
  head.resize(aligned(head.size()), '\0');

  // The whole file is assembled in memory so that the digest covers exactly what is written.
  std::vector<unsigned char> bytes(head.begin(), head.end());
  bytes.resize(head.size() + offset, 0);
  for (size_t i = 0; i < tensors.size(); ++i) {
    size_t at = head.size() + index[i]["offset"].get<size_t>();
    if (tensors[i].nbytes) std::memcpy(bytes.data() + at, tensors[i].data, tensors[i].nbytes);
  }
  const uint64_t digest = hash64(bytes.data(), bytes.size());
  for (int i = 0; i < 8; ++i) bytes.push_back((digest >> (8 * i)) & 0xff);
  write_file_atomically(path, [&](std::ostream& out) {
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  });
  return fmt::format("{:016x}", digest);
}

ModelFileContents read_model_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw FormatError(fmt::format("'{}': cannot open: {}", path, std::strerror(errno)));
  // One read of the whole file (a byte-wise istreambuf_iterator took a tenth of rd-score's
  // start-up with a 435 MB model).
  const std::streamoff size = in.tellg();
  std::vector<unsigned char> bytes;
  if (size > 0) {
    bytes.resize(size_t(size));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(bytes.data()), size);
  }
  if (in.bad() || (size > 0 && in.gcount() != size))
    throw FormatError(fmt::format("'{}': read error: {}", path, std::strerror(errno)));
  return read_model_file_bytes(std::move(bytes), path);
}

ModelFileContents read_model_metadata(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(fmt::format("'{}': cannot open: {}", path, std::strerror(errno)));
  auto fail = [&](const std::string& why) { return FormatError(fmt::format("'{}': {}", path, why)); };
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0);
  unsigned char prefix[kPrefixSize];
  if (size < std::streamoff(kPrefixSize) || !in.read(reinterpret_cast<char*>(prefix), kPrefixSize) ||
      std::memcmp(prefix, kMagic, 8) != 0)
    throw fail(fmt::format("not an rd model file ({} bytes, no rd model header)", std::max<std::streamoff>(size, 0)));
  const uint32_t version = get_u32(prefix + 8);
  if (version > kModelFormatVersion)
    throw fail(fmt::format("model format version {} is newer than this rd reads ({}); upgrade rd",
                           version, kModelFormatVersion));
  const uint64_t header_size = get_u64(prefix + 16);
  if (header_size > uint64_t(size) - kPrefixSize) throw fail("truncated (header runs past the end of the file)");
  if (uint64_t(size) < aligned(kPrefixSize + header_size) + kDigestSize) throw fail("truncated (no tensor data)");
  std::string header_text(header_size, '\0');
  unsigned char digest[kDigestSize];
  if (!in.read(header_text.data(), std::streamsize(header_size)) || !in.seekg(size - std::streamoff(kDigestSize)) ||
      !in.read(reinterpret_cast<char*>(digest), kDigestSize))
    throw fail(fmt::format("read error: {}", std::strerror(errno)));
  ModelFileContents out;
  try {
    out.meta = nlohmann::json::parse(header_text).at("meta");
  } catch (const nlohmann::json::exception& e) {
    throw fail(fmt::format("corrupt header: {}", e.what()));
  }
  out.digest = fmt::format("{:016x}", get_u64(digest));
  return out;
}

ModelFileContents read_model_file_bytes(std::vector<unsigned char> bytes, const std::string& name) {
  auto fail = [&](const std::string& why) { return FormatError(fmt::format("'{}': {}", name, why)); };
  if (bytes.size() < kPrefixSize || std::memcmp(bytes.data(), kMagic, 8) != 0)
    throw fail(fmt::format("not an rd model file ({} bytes, no rd model header)", bytes.size()));
  const uint32_t version = get_u32(bytes.data() + 8);
  if (version > kModelFormatVersion)
    throw fail(fmt::format("model format version {} is newer than this rd reads ({}); upgrade rd",
                           version, kModelFormatVersion));
  const uint64_t header_size = get_u64(bytes.data() + 16);
  if (header_size > bytes.size() - kPrefixSize) throw fail("truncated (header runs past the end of the file)");
  const size_t data_start = aligned(kPrefixSize + header_size);
  if (bytes.size() < data_start + kDigestSize) throw fail("truncated (no tensor data)");
  const size_t body = bytes.size() - kDigestSize;
  if (hash64(bytes.data(), body) != get_u64(bytes.data() + body))
    throw fail("checksum mismatch: the file is truncated or corrupt");

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + kPrefixSize, bytes.begin() + kPrefixSize + header_size);
  } catch (const std::exception& e) {
    throw fail(fmt::format("corrupt header: {}", e.what()));
  }
  ModelFileContents out;
  out.digest = fmt::format("{:016x}", get_u64(bytes.data() + body));
  // Tensors point into the file's bytes (offsets counted from the start of the file), so a
  // model is held in memory once, not twice.
  auto storage = std::make_shared<const std::vector<unsigned char>>(std::move(bytes));
  try {
    out.meta = header.at("meta");
    for (const auto& entry : header.at("tensors")) {
      RawTensor t;
      auto tensor_name = entry.at("name").get<std::string>();
      t.dtype = dtype_from_name(entry.at("dtype").get<std::string>(), name);
      t.shape = entry.at("shape").get<std::vector<int64_t>>();
      const size_t offset = entry.at("offset").get<size_t>(), nbytes = entry.at("nbytes").get<size_t>();
      const size_t data_size = body - data_start;
      int64_t numel = 1;
      for (auto d : t.shape) {
        if (d < 0) throw fail(fmt::format("tensor '{}' has a negative dimension", tensor_name));
        numel *= d;
      }
      if (nbytes != size_t(numel) * dtype_size(t.dtype) || offset % dtype_size(t.dtype) != 0 ||
          offset > data_size || nbytes > data_size - offset)
        throw fail(fmt::format("tensor '{}' does not fit the file", tensor_name));
      t.stride.assign(t.shape.size(), 1);
      for (int i = int(t.shape.size()) - 2; i >= 0; --i) t.stride[i] = t.stride[i + 1] * t.shape[i + 1];
      t.offset = int64_t((data_start + offset) / dtype_size(t.dtype));
      t.storage = storage;
      out.tensors.emplace(tensor_name, std::move(t));
    }
  } catch (const nlohmann::json::exception& e) {
    throw fail(fmt::format("corrupt header: {}", e.what()));
  }
  return out;
}

}  // namespace rd
