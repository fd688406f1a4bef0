// A safe subset of the Python pickle virtual machine (protocols 2-5). It builds a tree of plain
// values, imports only allow-listed globals and never calls anything: a call becomes a PyKind::Call
// node that the caller interprets (see torch_checkpoint.cpp). Every read is bounds-checked and the
// stack, memo and object count are capped, so a hostile file costs at most O(its size) memory.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rd {

enum class PyKind : uint8_t {
  None,
  Bool,
  Int,           // fits in int64_t
  BigInt,        // LONG1/LONG4 wider than 8 bytes; `text` holds the little-endian two's complement
  Float,
  Str,           // BINUNICODE and friends, also BINSTRING (Python 3 decodes it to str)
  Bytes,
  Tuple,
  List,
  Dict,          // `items` holds keys and values interleaved, in insertion order
  Global,        // an allow-listed module.name, `text` = module, `name` = name
  Call,          // REDUCE/NEWOBJ of a global: `items` = {callable, args tuple}
  PersistentId,  // BINPERSID: `items` = {the persistent id}
};

// Index of an object in Pickle::objects.
using PyRef = uint32_t;

// One Python value. Containers refer to their elements by index, so shared and even cyclic
// references (which pickle allows) cost nothing and free nothing twice.
struct PyObject {
  PyKind kind = PyKind::None;
  int64_t int_value = 0;  // Bool, Int
  double float_value = 0;
  std::string text;
  std::string name;
  std::vector<PyRef> items;
};

// Caps that keep a hostile pickle from exhausting memory. The defaults are far above what a
// state dict of even a very large model needs (ResNet-50: ~6000 objects).
struct PickleLimits {
  size_t max_stack = size_t{1} << 20;
  size_t max_memo = size_t{1} << 20;
  size_t max_objects = size_t{1} << 21;
};

// The result of unpickling: the objects, the root (the value STOP returned) and where the
// pickle ended, so that a caller can read the next one of a concatenated stream.
struct Pickle {
  std::vector<PyObject> objects;
  PyRef root = 0;
  size_t end = 0;

  const PyObject& at(PyRef ref) const { return objects.at(ref); }
};

// Unpickles the pickle that starts at data[start], stopping at its STOP opcode. `where` starts
// every error message (e.g. "'model.pth'"). Throws FormatError naming the cause and offset.
Pickle read_pickle(const unsigned char* data, size_t size, size_t start, const std::string& where,
                   const PickleLimits& limits = {});

// Tells whether GLOBAL module.name may be imported: OrderedDict, torch's tensor rebuild
// functions, storage classes and dtypes. Never anything that runs code (os.system, eval,
// torch.storage._load_from_bytes).
bool is_allowed_global(const std::string& module, const std::string& name);

// Returns the Python-ish name of a kind ("dict", "tuple", ...) for error messages.
const char* py_kind_name(PyKind kind);

}  // namespace rd
