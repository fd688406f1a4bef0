#include "io/weights_cache.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "errors.h"
#include "support.h"

namespace {

rd::WeightsRequest request(const std::string& weights) {
  rd::WeightsRequest r;
  r.weights = weights;
  r.file_name = "resnet18-f37072fd.pth";
  r.default_url = "https://download.pytorch.org/models/resnet18-f37072fd.pth";
  return r;
}

}  // namespace

TEST_CASE("hash_prefix_of_finds_the_digits_torch_hub_checks") {
  CHECK(rd::hash_prefix_of("resnet18-f37072fd.pth") == "f37072fd");
  CHECK(rd::hash_prefix_of("wide_resnet50_2-95faca4d.pth") == "95faca4d");
  CHECK(rd::hash_prefix_of("my-model-0a1b2c3d4e.pth") == "0a1b2c3d4e");
  CHECK(rd::hash_prefix_of("resnet18.pth") == "");
  CHECK(rd::hash_prefix_of("resnet18-.pth") == "");
  CHECK(rd::hash_prefix_of("resnet18-F37072FD.pth") == "");  // torch hub's pattern is lowercase
  CHECK(rd::hash_prefix_of("resnet18-final.pth") == "");
}

TEST_CASE("is_weights_url_accepts_http_https_and_file_only") {
  CHECK(rd::is_weights_url("https://example.org/a-12345678.pth"));
  CHECK(rd::is_weights_url("http://127.0.0.1:8000/a-12345678.pth"));
  CHECK(rd::is_weights_url("file:///tmp/a-12345678.pth"));
  CHECK_FALSE(rd::is_weights_url("ftp://example.org/a.pth"));
  CHECK_FALSE(rd::is_weights_url("weights/resnet18-f37072fd.pth"));
}

TEST_CASE("resolve_weights_returns_a_path_unchanged_and_finds_cached_files_without_a_request") {
  const std::string home = rd::test::scratch_dir("weights_cache_home");
  rd::test::ScopedEnv torch_home("TORCH_HOME", home);
  CHECK(rd::torch_hub_checkpoint_dir() == home + "/hub/checkpoints");
  CHECK(rd::resolve_weights(request("some/local.pth")) == "some/local.pth");

  std::filesystem::create_directories(home + "/hub/checkpoints");
  std::ofstream(home + "/hub/checkpoints/resnet18-f37072fd.pth") << "cached";
  std::ofstream(home + "/hub/checkpoints/mirror-12345678.pth") << "cached";
  bool noted = false;
  auto r = request("auto");
  r.note = [&](const std::string&) { noted = true; };
  CHECK(rd::resolve_weights(r) == home + "/hub/checkpoints/resnet18-f37072fd.pth");
  r.weights = "http://127.0.0.1:9/files/mirror-12345678.pth?token=x";  // port 9: nothing listens
  CHECK(rd::resolve_weights(r) == home + "/hub/checkpoints/mirror-12345678.pth");
  CHECK_FALSE(noted);
}

TEST_CASE("resolve_weights_offline_names_the_url_and_the_cache_path") {
  const std::string home = rd::test::scratch_dir("weights_cache_offline");
  rd::test::ScopedEnv torch_home("TORCH_HOME", home);
  auto r = request("auto");
  r.offline = true;
  CHECK_THROWS_WITH_AS(rd::resolve_weights(r),
                       doctest::Contains("download https://download.pytorch.org/models/resnet18-f37072fd.pth"),
                       rd::UsageError);
  rd::test::ScopedEnv mirror("RD_WEIGHTS_MIRROR", "http://mirror.example/models/");
  CHECK_THROWS_WITH_AS(rd::resolve_weights(r), doctest::Contains("http://mirror.example/models/resnet18-f37072fd.pth"),
                       rd::UsageError);
  CHECK_FALSE(std::filesystem::exists(home + "/hub"));
}

TEST_CASE("resolve_weights_refuses_a_url_whose_name_cannot_be_verified") {
  auto r = request("https://example.org/weights/resnet18.pth");
  CHECK_THROWS_WITH_AS(rd::resolve_weights(r), doctest::Contains("no hash prefix"), rd::UsageError);
  r.weights = "https://example.org/weights/resnet18-abc.pth";  // 3 digits prove too little
  CHECK_THROWS_AS(rd::resolve_weights(r), rd::UsageError);
}

TEST_CASE("environment_settings_for_offline_and_timeouts") {
  {
    rd::test::ScopedEnv off("RD_OFFLINE", "1");
    CHECK(rd::offline_from_environment());
  }
  {
    rd::test::ScopedEnv off("RD_OFFLINE", "0");
    CHECK_FALSE(rd::offline_from_environment());
  }
  CHECK_FALSE(rd::offline_from_environment());
  rd::test::ScopedEnv idle("RD_IDLE_TIMEOUT", "7");
  CHECK(rd::download_options_from_environment().idle_timeout_seconds == 7);
  CHECK(rd::download_options_from_environment().connect_timeout_seconds == 30);
  rd::test::ScopedEnv bad("RD_CONNECT_TIMEOUT", "soon");
  CHECK_THROWS_WITH_AS(rd::download_options_from_environment(), doctest::Contains("RD_CONNECT_TIMEOUT='soon'"),
                       rd::UsageError);
}
