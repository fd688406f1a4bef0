#include "pth/zip_archive.h"

#include <array>
#include <utility>

#include "errors.h"

namespace rd {
namespace detail {
namespace {

constexpr uint32_t kLocalHeaderSig = 0x04034b50;
constexpr uint32_t kCentralHeaderSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr size_t kEndSize = 22;
constexpr size_t kZip64LocatorSize = 20;
constexpr size_t kZip64EndSize = 56;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kMaxCommentSize = 0xffff;

uint64_t le(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// True when [offset, offset + length) lies inside a buffer of `size` bytes, without overflow.
bool in_bounds(uint64_t offset, uint64_t length, size_t size) {
  return offset <= size && length <= size - offset;
}

// Slice-by-8 tables: a checkpoint is hundreds of megabytes, and a byte-at-a-time CRC would
// cost more than reading the file.
using CrcTables = std::array<std::array<uint32_t, 256>, 8>;

CrcTables make_crc_tables() {
  CrcTables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (size_t k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
  return t;
}

}  // namespace
}  // namespace detail

uint32_t crc32(const unsigned char* data, size_t size) {
  static const detail::CrcTables t = detail::make_crc_tables();
  uint32_t c = 0xffffffffu;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint32_t lo = c ^ static_cast<uint32_t>(detail::le(data + i, 4));
    uint32_t hi = static_cast<uint32_t>(detail::le(data + i + 4, 4));
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
        t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
  }
  for (; i < size; ++i) c = t[0][(c ^ data[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

bool looks_like_zip(const unsigned char* data, size_t size) {
  return size >= 4 && detail::le(data, 4) == detail::kLocalHeaderSig;
}

ZipArchive::ZipArchive(const unsigned char* data, size_t size, std::string where)
    : data_(data), size_(size), where_(std::move(where)) {
  using namespace detail;
  // The end record sits at the very end, after an optional comment. Scan back for its
  // signature and accept the one whose comment length reaches exactly the end of the file.
  size_t end = SIZE_MAX;
  size_t lowest = size > kEndSize + kMaxCommentSize ? size - kEndSize - kMaxCommentSize : 0;
  for (size_t pos = size >= kEndSize ? size - kEndSize + 1 : 0; pos-- > lowest;) {
    if (le(data + pos, 4) == kEndSig && pos + kEndSize + le(data + pos + 20, 2) == size) {
      end = pos;
      break;
    }
  }
  if (end == SIZE_MAX) fail("truncated or not a zip archive: no end of central directory record");
  const unsigned char* e = data + end;
  if (le(e + 4, 2) != 0 || le(e + 6, 2) != 0) fail("multi-disk zip archives are not supported");
  uint64_t count = le(e + 10, 2);
  uint64_t cd_size = le(e + 12, 4);
  uint64_t cd_offset = le(e + 16, 4);

  // torch always writes the zip64 records; they are the only truth once the file passes 4 GiB.
  if (end >= kZip64LocatorSize && le(data + end - kZip64LocatorSize, 4) == kZip64LocatorSig) {
    uint64_t z = le(data + end - kZip64LocatorSize + 8, 8);
    if (!in_bounds(z, kZip64EndSize, end - kZip64LocatorSize) || le(data + z, 4) != kZip64EndSig) {
      fail("bad zip64 end of central directory locator");
    }
    count = le(data + z + 32, 8);
    cd_size = le(data + z + 40, 8);
    cd_offset = le(data + z + 48, 8);
  }
  read_central_directory(cd_offset, cd_size, count);
}

void ZipArchive::fail(const std::string& why) const { throw FormatError(where_ + ": " + why); }

void ZipArchive::read_central_directory(uint64_t offset, uint64_t size, uint64_t count) {
  using namespace detail;
  if (!in_bounds(offset, size, size_)) fail("truncated: central directory lies past the end of the file");
  if (count > size / kCentralHeaderSize) fail("central directory claims more entries than it can hold");
  const unsigned char* p = data_ + offset;
  const unsigned char* cd_end = p + size;
  for (uint64_t i = 0; i < count; ++i) {
    if (static_cast<size_t>(cd_end - p) < kCentralHeaderSize || le(p, 4) != kCentralHeaderSig) {
      fail("corrupt central directory entry " + std::to_string(i));
    }
    size_t name_len = le(p + 28, 2), extra_len = le(p + 30, 2), comment_len = le(p + 32, 2);
    if (static_cast<size_t>(cd_end - p) < kCentralHeaderSize + name_len + extra_len + comment_len) {
      fail("corrupt central directory entry " + std::to_string(i));
    }
    ZipEntry entry;
    entry.name.assign(reinterpret_cast<const char*>(p + kCentralHeaderSize), name_len);
    entry.method = static_cast<uint16_t>(le(p + 10, 2));
    entry.crc32 = static_cast<uint32_t>(le(p + 16, 4));
    entry.compressed_size = le(p + 20, 4);
    entry.size = le(p + 24, 4);
    entry.local_header_offset = le(p + 42, 4);
    read_zip64_extra(p + kCentralHeaderSize + name_len, extra_len, entry, entry.size == 0xffffffffu,
                     entry.compressed_size == 0xffffffffu, entry.local_header_offset == 0xffffffffu);
    if (!index_.emplace(entry.name, entries_.size()).second) fail("duplicate entry '" + entry.name + "'");
    entries_.push_back(std::move(entry));
    p += kCentralHeaderSize + name_len + extra_len + comment_len;
  }
}

// The zip64 extra field (id 1) holds, in this order, only those of the three 64-bit values
// whose 32-bit fields in the header are 0xffffffff.
void ZipArchive::read_zip64_extra(const unsigned char* extra, size_t length, ZipEntry& entry, bool need_size,
                                  bool need_compressed, bool need_offset) const {
  if (!need_size && !need_compressed && !need_offset) return;
  for (size_t pos = 0; pos + 4 <= length;) {
    uint64_t id = detail::le(extra + pos, 2), field_len = detail::le(extra + pos + 2, 2);
    if (pos + 4 + field_len > length) break;
    if (id == 1) {
      const unsigned char* f = extra + pos + 4;
      size_t need = 8 * (size_t{need_size} + need_compressed + need_offset);
      if (field_len < need) break;
      if (need_size) entry.size = detail::le(f, 8), f += 8;
      if (need_compressed) entry.compressed_size = detail::le(f, 8), f += 8;
      if (need_offset) entry.local_header_offset = detail::le(f, 8);
      return;
    }
    pos += 4 + field_len;
  }
  fail("entry '" + entry.name + "' lacks its zip64 sizes");
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

ZipBytes ZipArchive::read(const ZipEntry& entry) const {
  using namespace detail;
  const std::string what = "entry '" + entry.name + "'";
  if (entry.method != 0) {
    fail(what + " is compressed (method " + std::to_string(entry.method) +
         "); torch.save stores entries uncompressed, so the file was probably re-zipped");
  }
  if (entry.compressed_size != entry.size) fail(what + " has inconsistent sizes");
  uint64_t h = entry.local_header_offset;
  if (!in_bounds(h, kLocalHeaderSize, size_) || le(data_ + h, 4) != kLocalHeaderSig) {
    fail(what + ": bad local header");
  }
  // The local header's extra field differs from the central one: torch pads it so that the
  // data starts on a 64-byte boundary.
  uint64_t start = h + kLocalHeaderSize + le(data_ + h + 26, 2) + le(data_ + h + 28, 2);
  if (!in_bounds(start, entry.size, size_)) {
    fail("truncated: " + what + " needs " + std::to_string(entry.size) + " bytes, file has " +
         std::to_string(start < size_ ? size_ - start : 0));
  }
  ZipBytes bytes{data_ + start, static_cast<size_t>(entry.size)};
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION  // lets a fuzzer's mutations reach the pickle
  if (crc32(bytes.data, bytes.size) != entry.crc32) fail(what + " is corrupt (CRC-32 mismatch)");
#endif
  return bytes;
}

std::string ZipArchive::torch_prefix() const {
  static const std::string kPickle = "/data.pkl";
  std::string prefix;
  bool found = false;
  for (const ZipEntry& e : entries_) {
    size_t n = e.name.size();
    if (n <= kPickle.size() || e.name.compare(n - kPickle.size(), kPickle.size(), kPickle) != 0) continue;
    std::string dir = e.name.substr(0, e.name.size() - kPickle.size());
    if (dir.find('/') != std::string::npos) continue;
    if (found) fail("two torch archives in one file ('" + prefix + "' and '" + dir + "')");
    prefix = dir;
    found = true;
  }
  if (!found) fail("zip archive without a data.pkl: not a torch.save checkpoint");
  return prefix;
}

}  // namespace rd
