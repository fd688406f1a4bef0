#include "io/image_paths.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "errors.h"
#include "support.h"

namespace fs = std::filesystem;

namespace {

// A fresh directory tree per test, removed afterwards.
struct Tree : rd::test::TempTree {
  Tree() : TempTree("images") {}
};

}  // namespace

TEST_CASE("is_image_path_accepts_the_decoder_extensions_in_any_case") {
  for (const char* p : {"a.png", "a.jpg", "a.jpeg", "a.bmp", "a.tif", "a.tiff", "a.webp", "dir/A.PNG", "x.JpEg",
                        "/abs/path/with.dots/img.Tiff", "a.b.webp"})
    CHECK_MESSAGE(rd::is_image_path(p), p);
}

TEST_CASE("is_image_path_rejects_other_names") {
  for (const char* p : {"a.gif", "a.npy", "png", "a.png.txt", "a.png/", "dir.png/file", "", ".png", "..jpg", "apng"})
    CHECK_MESSAGE(!rd::is_image_path(p), p);
}

TEST_CASE("list_images_finds_images_recursively_sorted_by_path_bytes") {
  Tree t;
  t.file("b.png");
  t.file("a/z.jpg");
  t.file("a-b/c.PNG");
  t.file("a/sub/deeper/x.bmp");
  t.file("A.tif");
  t.file("notes.txt");
  t.file("a/mask.npy");
  // '-' (0x2d) sorts before '/' (0x2f) and 'A' before 'a': plain byte order, not per directory.
  CHECK(rd::list_images(t.root.string()) ==
        std::vector<std::string>{t / "A.tif", t / "a-b/c.PNG", t / "a/sub/deeper/x.bmp", t / "a/z.jpg", t / "b.png"});
}

TEST_CASE("list_images_joins_a_trailing_slash_without_doubling_it") {
  Tree t;
  t.file("x.png");
  CHECK(rd::list_images(t.root.string() + "/") == std::vector<std::string>{t / "x.png"});
}

TEST_CASE("list_images_does_not_take_a_directory_named_like_an_image") {
  Tree t;
  fs::create_directories(t.root / "x.png");
  t.file("x.png/inner.jpg");
  CHECK(rd::list_images(t.root.string()) == std::vector<std::string>{t / "x.png/inner.jpg"});
}

TEST_CASE("list_images_skips_hidden_files_and_directories") {
  Tree t;
  t.file("._0001.png");
  t.file(".cache/a.png");
  t.file("0001.png");
  CHECK(rd::list_images(t.root.string()) == std::vector<std::string>{t / "0001.png"});
}

TEST_CASE("list_images_follows_symlinked_files_and_directories_without_looping") {
  Tree t;
  Tree other;
  other.file("linked_dir/in_link.png");
  other.file("target.jpg");
  t.file("real/a.png");
  fs::create_symlink(other.root / "target.jpg", t.root / "link.jpg");
  fs::create_directory_symlink(other.root / "linked_dir", t.root / "dirlink");
  fs::create_directory_symlink(t.root, t.root / "real/loop");           // back to the root
  fs::create_directory_symlink(t.root / "real", t.root / "real/self");  // to itself
  CHECK(rd::list_images(t.root.string()) ==
        std::vector<std::string>{t / "dirlink/in_link.png", t / "link.jpg", t / "real/a.png"});
}

TEST_CASE("list_images_lists_a_dangling_link_so_that_it_fails_later_with_a_message") {
  Tree t;
  fs::create_symlink(t.root / "gone.png", t.root / "dangling.png");
  fs::create_symlink(t.root / "gone", t.root / "dangling_dir");
  CHECK(rd::list_images(t.root.string()) == std::vector<std::string>{t / "dangling.png"});
}

TEST_CASE("list_images_of_an_empty_directory_is_empty") {
  Tree t;
  CHECK(rd::list_images(t.root.string()).empty());
}

TEST_CASE("list_images_throws_usage_error_for_a_missing_directory_or_a_file") {
  Tree t;
  CHECK_THROWS_WITH_AS(rd::list_images(t / "missing"),
                       ("cannot read directory '" + (t / "missing") + "': No such file or directory").c_str(),
                       rd::UsageError);
  auto file = t.file("a.png");
  CHECK_THROWS_WITH_AS(rd::list_images(file), ("'" + file + "' is not a directory").c_str(), rd::UsageError);
}
