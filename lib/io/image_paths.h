// Which files are images, and every image below a directory.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace rd {

// Says whether the name ends in an image extension the decoder reads (png, jpg, jpeg, bmp,
// tif, tiff, webp; any case). Looks at the name only; a leading dot does not start an
// extension (".png" is a hidden file, not a PNG), as in Python's os.path.splitext.
bool is_image_path(const std::string& path);

// Say whether `path` is a directory, or a regular file, following links; false on any error
// (missing, unreadable parent).
bool directory_exists(const std::filesystem::path& path);
bool regular_file_exists(const std::filesystem::path& path);

// Lists every image file below `dir`, recursively, sorted by path in byte order, each path
// being `dir` joined with the names below it. Follows symbolic links to files and directories
// (datasets are often assembled from links), but never enters a directory that is already one
// of its own ancestors, so link loops end. Skips names starting with '.', as glob('*') in the
// reference code does; this also keeps out macOS "._x.png" resource forks, which are not images.
// A dangling link with an image name is listed, so that it fails later with a message rather
// than vanishing. Throws UsageError if `dir` is missing, not a directory, or a directory below
// it cannot be read (a silently partial dataset would train a different model).
std::vector<std::string> list_images(const std::string& dir);

}  // namespace rd
