#include "io/image_paths.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "errors.h"

namespace fs = std::filesystem;

namespace rd {
namespace detail {
namespace {

using FileId = std::pair<dev_t, ino_t>;

void list_below(const fs::path& dir, std::vector<FileId>& ancestors, std::vector<std::string>& out) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) throw UsageError("cannot read directory '" + dir.string() + "': " + ec.message());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const fs::path& entry = it->path();
    const std::string name = entry.filename().string();
    if (name.empty() || name[0] == '.') continue;
    struct stat target;
    if (::stat(entry.c_str(), &target) != 0) {
      if (is_image_path(name)) out.push_back(entry.string());  // dangling link
      continue;
    }
    if (S_ISDIR(target.st_mode)) {
      const FileId id{target.st_dev, target.st_ino};
      if (std::find(ancestors.begin(), ancestors.end(), id) != ancestors.end()) continue;  // link loop
      ancestors.push_back(id);
      list_below(entry, ancestors, out);
      ancestors.pop_back();
    } else if (S_ISREG(target.st_mode) && is_image_path(name)) {
      out.push_back(entry.string());
    }
  }
  if (ec) throw UsageError("cannot read directory '" + dir.string() + "': " + ec.message());
}

}  // namespace
}  // namespace detail

bool is_image_path(const std::string& path) {
  const auto slash = path.find_last_of('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const auto dot = name.find_last_of('.');
  if (dot == std::string::npos || name.find_first_not_of('.') > dot) return false;
  std::string ext = name.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  static const char* const kExtensions[] = {"png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp"};
  return std::any_of(std::begin(kExtensions), std::end(kExtensions), [&](const char* e) { return ext == e; });
}

bool directory_exists(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

bool regular_file_exists(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

std::vector<std::string> list_images(const std::string& dir) {
  struct stat root;
  if (::stat(dir.c_str(), &root) != 0) throw UsageError("cannot read directory '" + dir + "': " + std::strerror(errno));
  if (!S_ISDIR(root.st_mode)) throw UsageError("'" + dir + "' is not a directory");
  std::vector<detail::FileId> ancestors{{root.st_dev, root.st_ino}};
  std::vector<std::string> images;
  detail::list_below(fs::path(dir), ancestors, images);
  std::sort(images.begin(), images.end());
  return images;
}

}  // namespace rd
