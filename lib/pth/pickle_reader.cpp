#include "pth/pickle_reader.h"

#include <cstdio>
#include <cstring>
#include <iterator>
#include <unordered_map>
#include <utility>

#include "errors.h"

namespace rd {
namespace detail {
namespace {

// Opcodes, named as in CPython's Lib/pickle.py.
enum Op : uint8_t {
  MARK = '(', STOP = '.', POP = '0', POP_MARK = '1', DUP = '2', BININT = 'J', BININT1 = 'K',
  BININT2 = 'M', NONE = 'N', BINPERSID = 'Q', REDUCE = 'R', BINSTRING = 'T', SHORT_BINSTRING = 'U',
  BINUNICODE = 'X', APPEND = 'a', BUILD = 'b', GLOBAL = 'c', DICT = 'd', EMPTY_DICT = '}',
  APPENDS = 'e', BINGET = 'h', LONG_BINGET = 'j', LIST = 'l', EMPTY_LIST = ']', BINPUT = 'q',
  LONG_BINPUT = 'r', SETITEM = 's', TUPLE = 't', EMPTY_TUPLE = ')', SETITEMS = 'u', BINFLOAT = 'G',
  PROTO = 0x80, NEWOBJ = 0x81, TUPLE1 = 0x85, TUPLE2 = 0x86, TUPLE3 = 0x87, NEWTRUE = 0x88,
  NEWFALSE = 0x89, LONG1 = 0x8a, LONG4 = 0x8b, BINBYTES = 'B', SHORT_BINBYTES = 'C',
  SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d, BINBYTES8 = 0x8e, STACK_GLOBAL = 0x93,
  MEMOIZE = 0x94, FRAME = 0x95,
};

// GLOBAL and STACK_GLOBAL lines are short identifiers; a longer "line" is garbage.
constexpr size_t kMaxGlobalLine = 256;

class PickleMachine {
 public:
  PickleMachine(const unsigned char* data, size_t size, size_t start, const std::string& where,
                const PickleLimits& limits)
      : data_(data), size_(size), pos_(start), where_(where), limits_(limits) {}

  Pickle run() {
    if (pos_ > size_) fail("start offset past the end of the data");
    for (;;) {
      op_offset_ = pos_;
      uint8_t op = read_u8();
      if (op == STOP) break;
      step(op);
    }
    Pickle result;
    result.root = pop();
    result.end = pos_;
    result.objects = std::move(objects_);
    return result;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw FormatError(where_ + ": pickle: " + why + " at offset " + std::to_string(op_offset_));
  }

  // --- reading the byte stream ---------------------------------------------------------------

  const unsigned char* take(uint64_t n, const char* what) {
    if (n > size_ - pos_) {
      fail(std::string("truncated: ") + what + " needs " + std::to_string(n) + " bytes, " +
           std::to_string(size_ - pos_) + " left");
    }
    const unsigned char* p = data_ + pos_;
    pos_ += static_cast<size_t>(n);
    return p;
  }
  uint8_t read_u8() { return *take(1, "opcode"); }
  uint64_t read_uint(int bytes, const char* what) {
    const unsigned char* p = take(static_cast<uint64_t>(bytes), what);
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
  }
  std::string read_line(const char* what) {
    size_t end = pos_;
    while (end < size_ && data_[end] != '\n' && end - pos_ < kMaxGlobalLine) ++end;
    if (end >= size_ || data_[end] != '\n') fail(std::string("unterminated or overlong ") + what);
    std::string line(reinterpret_cast<const char*>(data_ + pos_), end - pos_);
    pos_ = end + 1;
    return line;
  }

  // --- objects and the stack -----------------------------------------------------------------

  PyRef make(PyKind kind) {
    if (objects_.size() >= limits_.max_objects) fail("too many objects");
    objects_.emplace_back();
    objects_.back().kind = kind;
    return static_cast<PyRef>(objects_.size() - 1);
  }
  PyRef make_int(PyKind kind, int64_t v) {
    PyRef r = make(kind);
    objects_[r].int_value = v;
    return r;
  }
  PyRef make_text(PyKind kind, const char* what, uint64_t length) {
    const unsigned char* p = take(length, what);
    PyRef r = make(kind);
    objects_[r].text.assign(reinterpret_cast<const char*>(p), static_cast<size_t>(length));
    return r;
  }
  // Reads a length of `width` bytes, then that many bytes of text.
  void push_text(PyKind kind, const char* what, int width) { push(make_text(kind, what, read_uint(width, what))); }
  PyObject& obj(PyRef r) { return objects_[r]; }

  void push(PyRef r) {
    if (stack_.size() >= limits_.max_stack) fail("stack too deep");
    stack_.push_back(r);
  }
  // The lowest stack index that a plain pop may reach: like CPython, a pop never crosses a MARK.
  size_t fence() const { return marks_.empty() ? 0 : marks_.back(); }
  PyRef pop() {
    if (stack_.size() <= fence()) fail("stack underflow");
    PyRef r = stack_.back();
    stack_.pop_back();
    return r;
  }
  PyRef top() {
    if (stack_.size() <= fence()) fail("stack underflow");
    return stack_.back();
  }
  std::vector<PyRef> pop_mark() {
    if (marks_.empty()) fail("no MARK on the stack");
    size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<PyRef> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }

  void memo_put(uint64_t index) {
    if (memo_.size() >= limits_.max_memo && memo_.count(index) == 0) fail("memo too large");
    memo_[index] = top();
  }
  void memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo key " + std::to_string(index) + " not found");
    push(it->second);
  }

  // --- opcode groups -------------------------------------------------------------------------

  void step(uint8_t op) {
    if (step_scalar(op) || step_container(op) || step_call(op)) return;
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", op);
    fail(std::string("unknown opcode ") + hex);
  }

  bool step_scalar(uint8_t op) {
    switch (op) {
      case PROTO: protocol(); return true;
      case FRAME: read_uint(8, "FRAME"); return true;  // framing is only a read-ahead hint
      case NONE: push(make(PyKind::None)); return true;
      case NEWTRUE: push(make_int(PyKind::Bool, 1)); return true;
      case NEWFALSE: push(make_int(PyKind::Bool, 0)); return true;
      case BININT: push(make_int(PyKind::Int, static_cast<int32_t>(read_uint(4, "BININT")))); return true;
      case BININT1: push(make_int(PyKind::Int, static_cast<int64_t>(read_uint(1, "BININT1")))); return true;
      case BININT2: push(make_int(PyKind::Int, static_cast<int64_t>(read_uint(2, "BININT2")))); return true;
      case LONG1: long_int(read_uint(1, "LONG1")); return true;
      case LONG4: long_int(read_uint(4, "LONG4")); return true;
      case BINFLOAT: binfloat(); return true;
      case SHORT_BINUNICODE: push_text(PyKind::Str, "SHORT_BINUNICODE", 1); return true;
      case BINUNICODE: push_text(PyKind::Str, "BINUNICODE", 4); return true;
      case BINUNICODE8: push_text(PyKind::Str, "BINUNICODE8", 8); return true;
      case SHORT_BINSTRING: push_text(PyKind::Str, "SHORT_BINSTRING", 1); return true;
      case BINSTRING: binstring(); return true;
      case SHORT_BINBYTES: push_text(PyKind::Bytes, "SHORT_BINBYTES", 1); return true;
      case BINBYTES: push_text(PyKind::Bytes, "BINBYTES", 4); return true;
      case BINBYTES8: push_text(PyKind::Bytes, "BINBYTES8", 8); return true;
      default: return false;
    }
  }

  bool step_container(uint8_t op) {
    switch (op) {
      case MARK: mark(); return true;
      case POP: pop(); return true;
      case POP_MARK: pop_mark(); return true;
      case DUP: push(top()); return true;
      case EMPTY_TUPLE: push(make(PyKind::Tuple)); return true;
      case TUPLE: push(make_sequence(PyKind::Tuple, pop_mark())); return true;
      case TUPLE1: push(make_sequence(PyKind::Tuple, pop_n(1))); return true;
      case TUPLE2: push(make_sequence(PyKind::Tuple, pop_n(2))); return true;
      case TUPLE3: push(make_sequence(PyKind::Tuple, pop_n(3))); return true;
      case EMPTY_LIST: push(make(PyKind::List)); return true;
      case LIST: push(make_sequence(PyKind::List, pop_mark())); return true;
      case EMPTY_DICT: push(make(PyKind::Dict)); return true;
      case DICT: dict_from_mark(); return true;
      case APPEND: append(pop_n(1)); return true;
      case APPENDS: append(pop_mark()); return true;
      case SETITEM: setitems(pop_n(2)); return true;
      case SETITEMS: setitems(pop_mark()); return true;
      case BINPUT: memo_put(read_uint(1, "BINPUT")); return true;
      case LONG_BINPUT: memo_put(read_uint(4, "LONG_BINPUT")); return true;
      case MEMOIZE: memo_put(memo_.size()); return true;
      case BINGET: memo_get(read_uint(1, "BINGET")); return true;
      case LONG_BINGET: memo_get(read_uint(4, "LONG_BINGET")); return true;
      default: return false;
    }
  }

  bool step_call(uint8_t op) {
    switch (op) {
      case GLOBAL: {
        std::string module = read_line("GLOBAL module");
        push(make_global(module, read_line("GLOBAL name")));
        return true;
      }
      case STACK_GLOBAL: stack_global(); return true;
      case REDUCE:
      case NEWOBJ: {
        PyRef args = pop();
        push(call(pop(), args));
        return true;
      }
      case BUILD: build(); return true;
      case BINPERSID: {
        PyRef pid = pop();
        PyRef r = make(PyKind::PersistentId);
        obj(r).items.push_back(pid);
        push(r);
        return true;
      }
      default: return false;
    }
  }

  // --- opcode bodies -------------------------------------------------------------------------

  void protocol() {
    uint64_t version = read_uint(1, "PROTO");
    if (version > 5) fail("unsupported pickle protocol " + std::to_string(version));
  }

  void mark() {
    if (marks_.size() >= limits_.max_stack) fail("too many MARKs");
    marks_.push_back(stack_.size());
  }

  // LONG1/LONG4 hold a little-endian two's complement integer of any width; torch uses a
  // 10-byte one for the legacy format's magic number.
  void long_int(uint64_t length) {
    const unsigned char* p = take(length, "LONG");
    if (length > 8) {
      PyRef r = make(PyKind::BigInt);
      obj(r).text.assign(reinterpret_cast<const char*>(p), static_cast<size_t>(length));
      push(r);
      return;
    }
    uint64_t v = 0;
    for (size_t i = length; i-- > 0;) v = (v << 8) | p[i];
    if (length > 0 && length < 8 && (p[length - 1] & 0x80)) v |= ~uint64_t{0} << (8 * length);
    push(make_int(PyKind::Int, static_cast<int64_t>(v)));
  }

  void binfloat() {
    uint64_t bits = 0;
    const unsigned char* p = take(8, "BINFLOAT");
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];  // big-endian, unlike everything else
    PyRef r = make(PyKind::Float);
    std::memcpy(&obj(r).float_value, &bits, sizeof bits);
    push(r);
  }

  void binstring() {
    int32_t length = static_cast<int32_t>(read_uint(4, "BINSTRING"));
    if (length < 0) fail("negative BINSTRING length");
    push(make_text(PyKind::Str, "BINSTRING", static_cast<uint64_t>(length)));
  }

  std::vector<PyRef> pop_n(size_t n) {
    if (stack_.size() < fence() + n) fail("stack underflow");
    std::vector<PyRef> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
    stack_.resize(stack_.size() - n);
    return items;
  }

  PyRef make_sequence(PyKind kind, std::vector<PyRef> items) {
    PyRef r = make(kind);
    obj(r).items = std::move(items);
    return r;
  }

  void dict_from_mark() {
    std::vector<PyRef> items = pop_mark();
    if (items.size() % 2 != 0) fail("DICT with an odd number of items");
    push(make_sequence(PyKind::Dict, std::move(items)));
  }

  void append(const std::vector<PyRef>& items) {
    PyObject& list = obj(top());
    if (list.kind != PyKind::List) fail(std::string("APPEND to a ") + py_kind_name(list.kind));
    list.items.insert(list.items.end(), items.begin(), items.end());
  }

  // Appends key/value pairs; a repeated key is kept twice here and resolved by the reader of
  // the tree (the later value wins in Python).
  void setitems(const std::vector<PyRef>& items) {
    if (items.size() % 2 != 0) fail("SETITEMS with an odd number of items");
    PyObject& dict = obj(top());
    if (dict.kind != PyKind::Dict) fail(std::string("SETITEM on a ") + py_kind_name(dict.kind));
    dict.items.insert(dict.items.end(), items.begin(), items.end());
  }

  // Takes copies: the strings may live in objects_, which make() can reallocate.
  PyRef make_global(std::string module, std::string name) {
    if (!is_allowed_global(module, name)) {
      fail("global '" + module + "." + name + "' is not allowed (only tensors, dicts and lists can be read)");
    }
    PyRef r = make(PyKind::Global);
    obj(r).text = std::move(module);
    obj(r).name = std::move(name);
    return r;
  }

  void stack_global() {
    PyRef name = pop();
    PyRef module = pop();
    if (obj(name).kind != PyKind::Str || obj(module).kind != PyKind::Str) fail("STACK_GLOBAL needs two strings");
    push(make_global(obj(module).text, obj(name).text));
  }

  // Calls nothing: OrderedDict() becomes an empty dict, and a call of a torch rebuild function
  // becomes a Call node for the caller to interpret.
  PyRef call(PyRef callable, PyRef args) {
    const PyObject& f = obj(callable);
    if (f.kind != PyKind::Global) fail(std::string("call of a ") + py_kind_name(f.kind));
    if (obj(args).kind != PyKind::Tuple) fail("call arguments are not a tuple");
    if (f.text == "collections" && f.name == "OrderedDict") {
      if (!obj(args).items.empty()) fail("OrderedDict with arguments is not supported");
      return make(PyKind::Dict);
    }
    if (f.text != "torch._utils") fail("call of '" + f.text + "." + f.name + "' is not supported");
    PyRef r = make(PyKind::Call);
    obj(r).items = {callable, args};
    return r;
  }

  // BUILD sets attributes; the only one torch pickles on a dict is OrderedDict._metadata (module
  // versions), which a reader of weights does not need.
  void build() {
    pop();  // the state
    const PyObject& target = obj(top());
    if (target.kind != PyKind::Dict) fail(std::string("BUILD on a ") + py_kind_name(target.kind));
  }

  const unsigned char* data_;
  size_t size_;
  size_t pos_;
  size_t op_offset_ = 0;
  const std::string& where_;
  const PickleLimits& limits_;
  std::vector<PyObject> objects_;
  std::vector<PyRef> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PyRef> memo_;
};

}  // namespace
}  // namespace detail

Pickle read_pickle(const unsigned char* data, size_t size, size_t start, const std::string& where,
                   const PickleLimits& limits) {
  return detail::PickleMachine(data, size, start, where, limits).run();
}

bool is_allowed_global(const std::string& module, const std::string& name) {
  static const char* const kTorchNames[] = {
      // Storage classes, the persistent ids' storage types.
      "FloatStorage", "HalfStorage", "DoubleStorage", "LongStorage", "IntStorage", "ShortStorage",
      "CharStorage", "ByteStorage", "BoolStorage", "BFloat16Storage", "UntypedStorage",
      // dtypes, as newer formats may name them.
      "float32", "float", "float16", "half", "bfloat16", "float64", "double", "int64", "long",
      "int32", "int", "int16", "short", "int8", "uint8", "bool"};
  static const char* const kRebuildNames[] = {"_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_parameter",
                                              "_rebuild_parameter_with_state"};
  if (module == "collections") return name == "OrderedDict";
  const char* const* begin = nullptr;
  const char* const* end = nullptr;
  if (module == "torch") {
    begin = std::begin(kTorchNames);
    end = std::end(kTorchNames);
  } else if (module == "torch._utils") {
    begin = std::begin(kRebuildNames);
    end = std::end(kRebuildNames);
  }
  for (const char* const* it = begin; it != end; ++it) {
    if (name == *it) return true;
  }
  return false;
}

const char* py_kind_name(PyKind kind) {
  switch (kind) {
    case PyKind::None: return "None";
    case PyKind::Bool: return "bool";
    case PyKind::Int: return "int";
    case PyKind::BigInt: return "int";
    case PyKind::Float: return "float";
    case PyKind::Str: return "str";
    case PyKind::Bytes: return "bytes";
    case PyKind::Tuple: return "tuple";
    case PyKind::List: return "list";
    case PyKind::Dict: return "dict";
    case PyKind::Global: return "global";
    case PyKind::Call: return "call result";
    case PyKind::PersistentId: return "persistent id";
  }
  return "object";
}

}  // namespace rd
