// Reads the zip container of torch.save's default format (torch >= 1.6): uncompressed (STORED)
// entries, zip64 records for large files, 64-byte aligned data. The archive is a view of bytes
// held by the caller; nothing is copied until an entry is read.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace rd {

// One file of the archive, as its central directory describes it.
struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 = stored; anything else is refused when read
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;
  uint64_t local_header_offset = 0;
};

// A bounds-checked view of the bytes of a stored entry.
struct ZipBytes {
  const unsigned char* data = nullptr;
  size_t size = 0;
};

class ZipArchive {
 public:
  // Parses the central directory of the zip in data[0, size); `where` starts every error
  // message (e.g. "'model.pth'"). The bytes must outlive the archive. Throws FormatError.
  ZipArchive(const unsigned char* data, size_t size, std::string where);

  // Returns the entries in central-directory order.
  const std::vector<ZipEntry>& entries() const { return entries_; }

  // Returns the entry called `name`, or nullptr.
  const ZipEntry* find(const std::string& name) const;

  // Returns the bytes of a stored entry after checking its local header and CRC-32; throws
  // FormatError for a compressed, truncated or corrupt entry.
  ZipBytes read(const ZipEntry& entry) const;

  // Returns the directory that holds torch's data.pkl ("archive" for "archive/data.pkl"); torch
  // names it after the file it saved to, so it varies.
  std::string torch_prefix() const;

 private:
  [[noreturn]] void fail(const std::string& why) const;
  void read_central_directory(uint64_t offset, uint64_t size, uint64_t count);
  void read_zip64_extra(const unsigned char* extra, size_t length, ZipEntry& entry, bool need_size,
                        bool need_compressed, bool need_offset) const;

  const unsigned char* data_;
  size_t size_;
  std::string where_;
  std::vector<ZipEntry> entries_;
  std::unordered_map<std::string, size_t> index_;  // name -> position in entries_
};

// Tells whether the bytes start like a zip archive (a local file header).
bool looks_like_zip(const unsigned char* data, size_t size);

// Returns the CRC-32 (as zip and gzip use it) of the bytes.
uint32_t crc32(const unsigned char* data, size_t size);

}  // namespace rd
