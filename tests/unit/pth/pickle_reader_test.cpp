#include "pth/pickle_reader.h"

#include <doctest/doctest.h>

#include <string>

#include "errors.h"

using namespace std::string_literals;
using rd::Pickle;
using rd::PyKind;
using rd::PyObject;

namespace {

// Pickles are written here byte by byte, as CPython's pickletools.dis shows them.
std::string bytes(std::initializer_list<int> list) {
  std::string s;
  for (int b : list) s += static_cast<char>(b);
  return s;
}

Pickle parse(const std::string& pickle, const rd::PickleLimits& limits = {}) {
  return rd::read_pickle(reinterpret_cast<const unsigned char*>(pickle.data()), pickle.size(), 0, "'t.pkl'",
                         limits);
}

std::string error_of(const std::string& pickle, const rd::PickleLimits& limits = {}) {
  try {
    parse(pickle, limits);
  } catch (const rd::FormatError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string unicode(const std::string& s) { return "\x8c" + std::string(1, static_cast<char>(s.size())) + s; }

const std::string kProto2 = bytes({0x80, 2});

}  // namespace

TEST_CASE("scalars_of_every_kind_are_read") {
  std::string p = kProto2 + "(N" + bytes({0x88, 0x89}) + "K" + bytes({200}) + "M" + bytes({0x34, 0x12}) + "J" +
                  bytes({0xfe, 0xff, 0xff, 0xff}) + bytes({0x8a, 1, 0xff}) + bytes({0x8a, 0}) + "G" +
                  bytes({0x3f, 0xf8, 0, 0, 0, 0, 0, 0}) + "X" + bytes({2, 0, 0, 0}) + "hi" + "U" + bytes({1}) +
                  "s" + "C" + bytes({3}) + "abc" + "t.";
  Pickle r = parse(p);
  const PyObject& t = r.at(r.root);
  REQUIRE(t.kind == PyKind::Tuple);
  REQUIRE(t.items.size() == 12);
  CHECK(r.at(t.items[0]).kind == PyKind::None);
  CHECK(r.at(t.items[1]).int_value == 1);
  CHECK(r.at(t.items[2]).kind == PyKind::Bool);
  CHECK(r.at(t.items[3]).int_value == 200);
  CHECK(r.at(t.items[4]).int_value == 0x1234);
  CHECK(r.at(t.items[5]).int_value == -2);
  CHECK(r.at(t.items[6]).int_value == -1);  // LONG1 sign-extends
  CHECK(r.at(t.items[7]).int_value == 0);   // LONG1 of length 0 is 0
  CHECK(r.at(t.items[8]).float_value == 1.5);
  CHECK(r.at(t.items[9]).text == "hi");
  CHECK(r.at(t.items[10]).kind == PyKind::Str);
  CHECK(r.at(t.items[11]).kind == PyKind::Bytes);
  CHECK(r.end == p.size());
}

TEST_CASE("wide_long1_is_kept_as_big_int_bytes") {
  // torch's legacy magic number 0x1950a86a20f9469cfc6c.
  std::string magic = bytes({0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19});
  Pickle r = parse(kProto2 + bytes({0x8a, 10}) + magic + ".");
  CHECK(r.at(r.root).kind == PyKind::BigInt);
  CHECK(r.at(r.root).text == magic);
}

TEST_CASE("ordered_dict_reduce_gives_a_dict_and_build_of_metadata_is_ignored") {
  // OrderedDict() with items, then BUILD {'_metadata': OrderedDict()} as torch's state_dict().
  std::string p = kProto2 + "ccollections\nOrderedDict\nq\x00)Rq\x01("s + unicode("a") + "K\x01" + unicode("b") +
                  "K\x02u}" + unicode("_metadata") + "h\x00)Rsb."s;
  Pickle r = parse(p);
  const PyObject& d = r.at(r.root);
  REQUIRE(d.kind == PyKind::Dict);
  REQUIRE(d.items.size() == 4);
  CHECK(r.at(d.items[0]).text == "a");
  CHECK(r.at(d.items[3]).int_value == 2);
}

TEST_CASE("memo_shares_one_object_between_references") {
  Pickle r = parse(kProto2 + "]q\x05h\x05h\x05\x86.");
  const PyObject& t = r.at(r.root);
  REQUIRE(t.items.size() == 2);
  CHECK(t.items[0] == t.items[1]);
  CHECK(r.at(t.items[0]).kind == PyKind::List);
}

TEST_CASE("protocol_4_frames_memoize_and_stack_global_are_read") {
  std::string body = unicode("collections") + "\x94" + unicode("OrderedDict") + "\x94\x93\x94)R\x94h\x02" + "\x85.";
  std::string frame = bytes({0x95}) + std::string(1, static_cast<char>(body.size())) + std::string(7, '\0');
  Pickle r = parse(bytes({0x80, 4}) + frame + body);
  const PyObject& t = r.at(r.root);
  REQUIRE(t.kind == PyKind::Tuple);
  CHECK(r.at(t.items[0]).kind == PyKind::Global);  // memo 2 is the global, memo 3 the dict
  CHECK(r.at(t.items[0]).name == "OrderedDict");
}

TEST_CASE("reduce_of_a_torch_rebuild_function_becomes_a_call_node") {
  Pickle r = parse(kProto2 + "ctorch._utils\n_rebuild_tensor_v2\n(K\x01tR.");
  const PyObject& call = r.at(r.root);
  REQUIRE(call.kind == PyKind::Call);
  CHECK(r.at(call.items[0]).name == "_rebuild_tensor_v2");
  CHECK(r.at(call.items[1]).items.size() == 1);
}

TEST_CASE("a_list_that_contains_itself_is_harmless") {
  Pickle r = parse(kProto2 + "]q\x00h\x00"s + "a.");
  const PyObject& list = r.at(r.root);
  REQUIRE(list.items.size() == 1);
  CHECK(list.items[0] == r.root);
}

TEST_CASE("unknown_opcode_is_named_with_its_offset") {
  CHECK(error_of(kProto2 + "N\xff.") == "'t.pkl': pickle: unknown opcode 0xff at offset 3");
}

TEST_CASE("globals_outside_the_allow_list_are_refused") {
  CHECK(error_of(kProto2 + "cos\nsystem\n.") ==
        "'t.pkl': pickle: global 'os.system' is not allowed (only tensors, dicts and lists can be read) at offset 2");
  CHECK(error_of(kProto2 + unicode("builtins") + unicode("eval") + "\x93.").find("'builtins.eval' is not allowed") !=
        std::string::npos);
  CHECK(error_of(kProto2 + "ctorch.storage\n_load_from_bytes\n.").find("'torch.storage._load_from_bytes'") !=
        std::string::npos);
  CHECK(error_of(kProto2 + "ctorch\nload\n.").find("'torch.load' is not allowed") != std::string::npos);
  CHECK(error_of(kProto2 + "ccollections\nOrderedDict").find("unterminated") != std::string::npos);
}

TEST_CASE("allowed_globals_cannot_be_called_unless_they_rebuild_tensors") {
  CHECK(error_of(kProto2 + "ctorch\nFloatStorage\n)R.").find("call of 'torch.FloatStorage' is not supported") !=
        std::string::npos);
  CHECK(error_of(kProto2 + "ccollections\nOrderedDict\n(]tR.").find("OrderedDict with arguments") !=
        std::string::npos);
  CHECK(error_of(kProto2 + "N)R.").find("call of a None") != std::string::npos);
}

TEST_CASE("string_lengths_past_the_end_of_the_data_are_refused_without_allocating") {
  CHECK(error_of(kProto2 + "X" + bytes({0xff, 0xff, 0xff, 0xff}) + "abc.") ==
        "'t.pkl': pickle: truncated: BINUNICODE needs 4294967295 bytes, 4 left at offset 2");
  CHECK(error_of(kProto2 + bytes({0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}) + ".")
            .find("truncated: BINUNICODE8 needs 9223372036854775807 bytes") != std::string::npos);
  CHECK(error_of(kProto2 + bytes({0x8e, 0, 0, 0, 0, 1, 0, 0, 0}) + ".").find("truncated: BINBYTES8") !=
        std::string::npos);
  CHECK(error_of(kProto2 + "T" + bytes({0xff, 0xff, 0xff, 0xff}) + ".").find("negative BINSTRING") !=
        std::string::npos);
  CHECK(error_of(kProto2 + bytes({0x8b, 0, 0, 0, 0x80}) + ".").find("truncated: LONG") != std::string::npos);
}

TEST_CASE("stack_and_mark_misuse_is_refused") {
  CHECK(error_of(kProto2 + ".") == "'t.pkl': pickle: stack underflow at offset 2");
  CHECK(error_of(kProto2 + "t.") == "'t.pkl': pickle: no MARK on the stack at offset 2");
  CHECK(error_of(kProto2 + "N(.").find("stack underflow") != std::string::npos);  // STOP may not cross a MARK
  CHECK(error_of(kProto2 + "(N\x86.").find("stack underflow") != std::string::npos);
  CHECK(error_of(kProto2 + "h\x07.") == "'t.pkl': pickle: memo key 7 not found at offset 2");
  CHECK(error_of(kProto2 + "}Na.").find("APPEND to a dict") != std::string::npos);
  CHECK(error_of(kProto2 + "]NNs.").find("SETITEM on a list") != std::string::npos);
  CHECK(error_of(kProto2 + "]N(Nu.").find("odd number") != std::string::npos);
  CHECK(error_of(kProto2 + "]Nb.").find("BUILD on a list") != std::string::npos);
}

TEST_CASE("pickles_without_stop_or_with_unknown_protocols_are_refused") {
  CHECK(error_of(kProto2 + "N") == "'t.pkl': pickle: truncated: opcode needs 1 bytes, 0 left at offset 3");
  CHECK(error_of("") == "'t.pkl': pickle: truncated: opcode needs 1 bytes, 0 left at offset 0");
  CHECK(error_of(bytes({0x80, 6}) + "N.").find("unsupported pickle protocol 6") != std::string::npos);
}

TEST_CASE("limits_cap_the_stack_memo_and_object_count") {
  rd::PickleLimits small;
  small.max_stack = 4;
  small.max_memo = 2;
  small.max_objects = 8;
  CHECK(error_of(kProto2 + "NNNNN.", small).find("stack too deep") != std::string::npos);
  CHECK(error_of(kProto2 + "Nq\x01q\x02q\x03.", small).find("memo too large") != std::string::npos);
  CHECK(error_of(kProto2 + "N0N0N0N0N0N0N0N0N0.", small).find("too many objects") != std::string::npos);
  CHECK(error_of(kProto2 + "(((((.", small).find("too many MARKs") != std::string::npos);
}

TEST_CASE("a_pickle_can_start_inside_a_larger_buffer") {
  std::string stream = kProto2 + "K\x01." + kProto2 + "K\x02.";
  const auto* data = reinterpret_cast<const unsigned char*>(stream.data());
  Pickle first = rd::read_pickle(data, stream.size(), 0, "'s'");
  Pickle second = rd::read_pickle(data, stream.size(), first.end, "'s'");
  CHECK(first.at(first.root).int_value == 1);
  CHECK(second.at(second.root).int_value == 2);
  CHECK(second.end == stream.size());
}
