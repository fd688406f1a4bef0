#include "pth/torch_checkpoint.h"

#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "errors.h"
#include "pth/zip_archive.h"
#include "support.h"

using namespace std::string_literals;
using rd::RawTensor;
using rd::TensorDict;

namespace {

// --- fixtures written by tests/reference/make_checkpoints.py ----------------------------------

std::string fixture(const std::string& name) { return rd::test::fixtures() + "/" + name; }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const nlohmann::json& expected() {
  static const nlohmann::json json = nlohmann::json::parse(slurp(fixture("torch_checkpoint_expected.json")));
  return json;
}

TensorDict read_bytes(const std::string& bytes, const std::string& name = "x.pth") {
  return rd::read_torch_checkpoint_bytes(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), name);
}

std::string error_of(const std::string& bytes) {
  try {
    read_bytes(bytes);
  } catch (const rd::FormatError& e) {
    return e.what();
  }
  return "(no error)";
}

uint32_t bits_of(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

// Checks every tensor of a fixture against what torch reported, bit for bit.
void check_matches_torch(const std::string& file) {
  TensorDict tensors = rd::read_torch_checkpoint(fixture(file));
  const nlohmann::json& want = expected().at(file);
  CHECK(tensors.size() == want.size());
  for (const auto& [key, w] : want.items()) {
    INFO(file << " " << key);
    auto it = tensors.find(key);
    REQUIRE(it != tensors.end());
    const RawTensor& t = it->second;
    CHECK(rd::dtype_name(t.dtype) == w.at("dtype").get<std::string>());
    CHECK(t.shape == w.at("shape").get<std::vector<int64_t>>());
    CHECK(t.stride == w.at("stride").get<std::vector<int64_t>>());
    CHECK(t.offset == w.at("offset").get<int64_t>());
    CHECK(t.numel() == w.at("numel").get<int64_t>());
    std::vector<float> values = t.to_float();
    uint64_t sum = 0, wsum = 0;
    for (size_t i = 0; i < values.size(); ++i) {
      sum += bits_of(values[i]);
      wsum += bits_of(values[i]) * (i + 1);
    }
    CHECK(sum == w.at("bits_sum").get<uint64_t>());
    CHECK(wsum == w.at("bits_wsum").get<uint64_t>());
    std::vector<uint32_t> head = w.at("value_bits").get<std::vector<uint32_t>>();
    for (size_t i = 0; i < head.size() && i < values.size(); ++i) CHECK(bits_of(values[i]) == head[i]);
  }
}

// Pickle protocol 2 (torch.save's default) in both containers, and protocols 4 and 5.
const char* const kFormats[] = {"zip", "legacy", "p4_zip", "p5_legacy"};

// --- hand-built checkpoints, for what torch would never write ----------------------------------

std::string unicode(const std::string& s) {
  std::string n(4, '\0');
  for (int i = 0; i < 4; ++i) n[i] = static_cast<char>((s.size() >> (8 * i)) & 0xff);
  return "X" + n + s;
}

// LONG1 with 8 bytes holds any int64.
std::string integer(int64_t v) {
  std::string s = "\x8a\x08"s;
  for (int i = 0; i < 8; ++i) s += static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff);
  return s;
}

std::string int_tuple(const std::vector<int64_t>& values) {
  std::string s = "(";
  for (int64_t v : values) s += integer(v);
  return s + "t";
}

struct TensorSpec {
  std::string storage_type = "FloatStorage";
  std::string key = "0";
  int64_t numel = 4;
  int64_t offset = 0;
  std::vector<int64_t> shape = {4};
  std::vector<int64_t> stride = {1};
  std::string view;                              // legacy view metadata tuple, or "" for None
  std::string function = "_rebuild_tensor_v2";   // or "_rebuild_tensor"
  bool metadata = false;                         // the 7th argument of newer torch versions
  bool legacy = false;
};

std::string tensor_pickle(const TensorSpec& t) {
  std::string pid = "(" + unicode("storage") + "ctorch\n" + t.storage_type + "\n" + unicode(t.key) + unicode("cpu") +
                    integer(t.numel) + (t.legacy ? (t.view.empty() ? "N" : t.view) : "") + "tQ";
  std::string args = pid + integer(t.offset) + int_tuple(t.shape) + int_tuple(t.stride);
  if (t.function == "_rebuild_tensor_v2") {
    args += "\x89" "ccollections\nOrderedDict\n)R";  // requires_grad, backward_hooks
    if (t.metadata) args += "}";
  }
  return "ctorch._utils\n" + t.function + "\n(" + args + "tR";
}

std::string dict_pickle(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string s = "\x80\x02}(";
  for (const auto& [key, value] : items) s += unicode(key) + value;
  return s + "u.";
}

std::string le64(int64_t v) {
  std::string s;
  for (int i = 0; i < 8; ++i) s += static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff);
  return s;
}

struct FakeStorage {
  std::string key;
  int64_t count;
  std::string bytes;
};

std::string legacy_file(const std::string& object_pickle, const std::vector<FakeStorage>& storages) {
  std::string magic = "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19."s;
  std::string s = magic + "\x80\x02M\xe9\x03." + "\x80\x02}." + object_pickle + "\x80\x02(";
  for (const FakeStorage& st : storages) s += unicode(st.key);
  s += "l.";
  for (const FakeStorage& st : storages) s += le64(st.count) + st.bytes;
  return s;
}

std::string le(uint64_t v, int bytes) {
  std::string s;
  for (int i = 0; i < bytes; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

struct FakeEntry {
  std::string name;
  std::string data;
  int method = 0;
};

// A minimal zip writer: local headers, data, central directory, end record.
std::string zip_file(const std::vector<FakeEntry>& entries) {
  std::string out, central;
  for (const FakeEntry& e : entries) {
    uint32_t crc = rd::crc32(reinterpret_cast<const unsigned char*>(e.data.data()), e.data.size());
    std::string common = le(20, 2) + le(0, 2) + le(e.method, 2) + le(0, 4) + le(crc, 4) + le(e.data.size(), 4) +
                         le(e.data.size(), 4) + le(e.name.size(), 2) + le(0, 2);
    central += le(0x02014b50, 4) + le(20, 2) + common + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) +
               le(out.size(), 4) + e.name;
    out += le(0x04034b50, 4) + common + e.name + e.data;
  }
  return out + central + le(0x06054b50, 4) + le(0, 4) + le(entries.size(), 2) + le(entries.size(), 2) +
         le(central.size(), 4) + le(out.size(), 4) + le(0, 2);
}

std::string floats(std::initializer_list<float> values) {
  std::string s;
  for (float v : values) s.append(reinterpret_cast<const char*>(&v), sizeof v);
  return s;
}

std::string one_tensor_zip(const TensorSpec& spec, const std::string& data) {
  return zip_file({{"x/data.pkl", dict_pickle({{"w", tensor_pickle(spec)}})}, {"x/data/" + spec.key, data}});
}

std::string one_tensor_legacy(TensorSpec spec, int64_t count, const std::string& data) {
  spec.legacy = true;
  return legacy_file(dict_pickle({{"w", tensor_pickle(spec)}}), {{spec.key, count, data}});
}

// Every prefix of a file that is cut short must be refused, never crash.
void check_every_truncation_is_refused(const std::string& file) {
  std::string whole = slurp(fixture(file));
  for (size_t n = 0; n < whole.size(); ++n) {
    INFO(file << " cut at " << n);
    CHECK_THROWS_AS(read_bytes(whole.substr(0, n)), rd::FormatError);
  }
}

}  // namespace

TEST_CASE("resnet18_state_dict_matches_torch_in_zip_and_legacy_formats") {
  check_matches_torch("resnet18_zip.pth");
  check_matches_torch("resnet18_legacy.pth");
}

TEST_CASE("nested_dicts_flatten_with_dots_and_skip_non_tensors") {
  for (const char* format : kFormats) check_matches_torch("nested_"s + format + ".pth");
  TensorDict t = rd::read_torch_checkpoint(fixture("nested_zip.pth"));
  CHECK(t.count("bn.conv1.weight") == 1);
  CHECK(t.count("decoder.layer1.0.weight") == 1);
  CHECK(t.count("decoder.deconv.bias") == 1);
  CHECK(t.count("epoch") == 0);
  CHECK(t.count("history") == 0);
}

TEST_CASE("every_dtype_converts_to_float_as_torch_does") {
  for (const char* format : kFormats) check_matches_torch("dtypes_"s + format + ".pth");
  TensorDict t = rd::read_torch_checkpoint(fixture("dtypes_legacy.pth"));
  CHECK(t.at("scalar").shape.empty());
  CHECK(t.at("scalar").to_float() == std::vector<float>{3.5f});
  CHECK(t.at("empty").to_float().empty());
}

TEST_CASE("strided_offset_and_expanded_views_share_one_storage") {
  for (const char* format : kFormats) {
    const std::string file = "views_"s + format + ".pth";
    check_matches_torch(file);
    TensorDict t = rd::read_torch_checkpoint(fixture(file));
    for (const char* view : {"transposed", "row", "column", "block"}) {
      CHECK(t.at(view).storage.get() == t.at("base").storage.get());
    }
    CHECK(t.at("row").offset == 12);
    CHECK(t.at("expanded").stride == std::vector<int64_t>{1, 0});
    CHECK(t.at("param").shape == std::vector<int64_t>{3});
  }
}

TEST_CASE("rebuild_tensor_v2_with_metadata_and_the_old_rebuild_tensor_are_read") {
  TensorSpec spec;
  spec.metadata = true;
  CHECK(read_bytes(one_tensor_zip(spec, floats({1, 2, 3, 4}))).at("w").to_float() == std::vector<float>{1, 2, 3, 4});
  spec.function = "_rebuild_tensor";
  spec.shape = {2};
  spec.stride = {2};
  CHECK(read_bytes(one_tensor_legacy(spec, 4, floats({1, 2, 3, 4}))).at("w").to_float() == std::vector<float>{1, 3});
}

TEST_CASE("legacy_storage_views_are_sliced_from_their_root") {
  TensorSpec spec;
  spec.view = "(" + unicode("v") + integer(1) + integer(2) + "t";
  spec.shape = {2};
  CHECK(read_bytes(one_tensor_legacy(spec, 4, floats({1, 2, 3, 4}))).at("w").to_float() == std::vector<float>{2, 3});
  spec.view = "(" + unicode("v") + integer(3) + integer(2) + "t";
  CHECK(error_of(one_tensor_legacy(spec, 4, floats({1, 2, 3, 4}))) ==
        "'x.pth': storage view 'v' lies outside storage '0'");
}

TEST_CASE("a_storage_smaller_than_the_tensor_extent_is_refused") {
  TensorSpec spec;
  spec.shape = {2, 3};
  spec.stride = {3, 1};
  CHECK(error_of(one_tensor_zip(spec, floats({1, 2, 3, 4}))) ==
        "'x.pth': tensor 'w' reaches element 5 of a storage of 4 float32 elements (storage 'x/data/0')");
  CHECK(error_of(one_tensor_legacy(spec, 4, floats({1, 2, 3, 4}))) ==
        "'x.pth': tensor 'w' reaches element 5 of a storage of 4 float32 elements (storage '0')");
  spec.shape = {4};
  spec.stride = {1};
  spec.offset = 1;
  CHECK(error_of(one_tensor_zip(spec, floats({1, 2, 3, 4}))).find("reaches element 4") != std::string::npos);
  spec.offset = -1;
  CHECK(error_of(one_tensor_zip(spec, floats({1, 2, 3, 4}))).find("negative storage offset") != std::string::npos);
  spec.offset = 0;
  spec.shape = {int64_t{1} << 62, 4};
  spec.stride = {4, 1};
  CHECK(error_of(one_tensor_zip(spec, floats({1, 2, 3, 4}))).find("too large to address") != std::string::npos);
}

TEST_CASE("storages_shorter_than_their_element_count_are_refused") {
  TensorSpec spec;
  spec.numel = 10;
  CHECK(error_of(one_tensor_zip(spec, floats({1, 2}))) ==
        "'x.pth': truncated: storage 'x/data/0' needs 40 bytes, file has 8");
  CHECK(error_of(one_tensor_legacy(spec, 1024, floats({1, 2}))) ==
        "'x.pth': truncated: storage '0' needs 4096 bytes, file has 8");
  CHECK(error_of(one_tensor_legacy(spec, int64_t{1} << 62, floats({1, 2}))) ==
        "'x.pth': truncated: storage '0' needs too many bytes, file has 8");
  spec.storage_type = "DoubleStorage";  // the element size comes from the storage type
  spec.numel = 2;
  CHECK(error_of(one_tensor_zip(spec, floats({1, 2}))) ==
        "'x.pth': truncated: storage 'x/data/0' needs 16 bytes, file has 8");
}

TEST_CASE("an_expanded_view_too_large_to_load_is_refused") {
  TensorSpec spec;
  spec.shape = {int64_t{1} << 40};
  spec.stride = {0};
  CHECK(error_of(one_tensor_zip(spec, floats({1, 2, 3, 4}))).find("expanded view") != std::string::npos);
}

TEST_CASE("forbidden_globals_in_a_checkpoint_are_refused") {
  std::string evil = "\x80\x02}(" + unicode("w") + "cos\nsystem\n" + unicode("ls") + "\x85Ru.";
  CHECK(error_of(zip_file({{"x/data.pkl", evil}})) ==
        "'x.pth' (x/data.pkl): pickle: global 'os.system' is not allowed (only tensors, dicts and lists can be "
        "read) at offset 10");
  std::string from_bytes = "\x80\x02}(" + unicode("w") + "ctorch.storage\n_load_from_bytes\n" + unicode("") + "\x85Ru.";
  CHECK(error_of(legacy_file(from_bytes, {})).find("'torch.storage._load_from_bytes' is not allowed") !=
        std::string::npos);
}

TEST_CASE("foreign_and_malformed_containers_are_refused") {
  CHECK(error_of("hello") == "'x.pth': not a torch checkpoint (neither a zip archive nor a legacy pickle)");
  CHECK(error_of(zip_file({{"x/other", "1"}})) ==
        "'x.pth': zip archive without a data.pkl: not a torch.save checkpoint");
  CHECK(error_of(zip_file({{"x/data.pkl", "\x80\x02}.", 8}})).find("is compressed (method 8)") != std::string::npos);
  CHECK(error_of(zip_file({{"x/data.pkl", "\x80\x02}."}, {"x/byteorder", "big"}})) ==
        "'x.pth': big-endian checkpoints are not supported");
  CHECK(error_of(zip_file({{"x/data.pkl", "\x80\x02]."}})) ==
        "'x.pth': the checkpoint holds a list, not a dict of tensors");
  CHECK(error_of(zip_file({{"x/data.pkl", dict_pickle({{"w", tensor_pickle({})}})}})) ==
        "'x.pth': missing storage 'x/data/0'");
  std::string corrupt = one_tensor_zip({}, floats({1, 2, 3, 4}));
  corrupt[corrupt.find("x/data/0") + 8] ^= 1;
  CHECK(error_of(corrupt) == "'x.pth': entry 'x/data/0' is corrupt (CRC-32 mismatch)");
}

TEST_CASE("shared_dicts_and_deep_nesting_cannot_exhaust_the_reader") {
  // d[i+1] = {'a': d[i], 'b': d[i]}: 2**40 paths through 40 dicts.
  std::string shared = "\x80\x02}q\x00"s;
  for (int i = 0; i < 40; ++i) {
    shared += "}(" + unicode("a") + "h" + std::string(1, static_cast<char>(i)) + unicode("b") + "h" +
              std::string(1, static_cast<char>(i)) + "uq" + std::string(1, static_cast<char>(i + 1));
  }
  CHECK(error_of(zip_file({{"x/data.pkl", shared + "."}})) == "'x.pth': too many shared references");
  std::string deep = "\x80\x02}";
  for (int i = 0; i < 100; ++i) deep += unicode("k") + "}";
  for (int i = 0; i < 100; ++i) deep += "s";
  CHECK(error_of(zip_file({{"x/data.pkl", deep + "."}})).find("nested too deeply") != std::string::npos);
  std::string long_keys = "\x80\x02}" + unicode(std::string(1000, 'k')) + "q\x00}"s;
  for (int i = 0; i < 10; ++i) long_keys += "h\x00}"s;
  for (int i = 0; i < 11; ++i) long_keys += "s";
  CHECK(error_of(zip_file({{"x/data.pkl", long_keys + "."}})).find("key too long") != std::string::npos);
}

TEST_CASE("truncated_zip_files_are_refused") {
  std::string whole = slurp(fixture("nested_zip.pth"));
  for (size_t n = 0; n < whole.size(); n += 7) {
    INFO("cut at " << n);
    CHECK_THROWS_AS(read_bytes(whole.substr(0, n)), rd::FormatError);
  }
}

TEST_CASE("truncated_legacy_files_are_refused_at_every_length") {
  check_every_truncation_is_refused("views_legacy.pth");
  check_every_truncation_is_refused("nested_legacy.pth");
  check_every_truncation_is_refused("nested_p5_legacy.pth");
}

TEST_CASE("random_byte_flips_are_refused_or_read_but_never_crash") {
  std::mt19937 rng(12345);
  for (const char* file : {"views_legacy.pth", "dtypes_p5_legacy.pth", "views_zip.pth", "nested_p4_zip.pth"}) {
    std::string whole = slurp(fixture(file));
    for (int trial = 0; trial < 500; ++trial) {
      std::string bad = whole;
      for (int flips = 1 + static_cast<int>(rng() % 3); flips > 0; --flips) {
        bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
      }
      try {
        for (const auto& [key, t] : read_bytes(bad)) t.to_float();
      } catch (const rd::Error&) {
      }
    }
  }
}

TEST_CASE("a_missing_file_is_reported_with_the_system_reason") {
  try {
    rd::read_torch_checkpoint("/nonexistent/w.pth");
    FAIL("no error");
  } catch (const rd::FormatError& e) {
    CHECK(std::string(e.what()) == "'/nonexistent/w.pth': cannot read: No such file or directory");
  }
}

TEST_CASE("to_float_refuses_a_hand_made_view_outside_its_storage") {
  RawTensor t;
  t.shape = {3};
  t.stride = {1};
  t.storage = std::make_shared<const std::vector<unsigned char>>(8);
  CHECK_THROWS_AS(t.to_float(), rd::FormatError);
  t.shape = {2};
  CHECK(t.to_float() == std::vector<float>{0, 0});
}
