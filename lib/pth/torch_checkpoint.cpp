#include "pth/torch_checkpoint.h"

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <unordered_map>
#include <utility>

#include "errors.h"
#include "pth/pickle_reader.h"
#include "pth/zip_archive.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "torch_checkpoint.cpp reads little-endian storages with memcpy; a big-endian host needs byte swaps"
#endif

namespace rd {
namespace detail {
namespace {

using Bytes = std::vector<unsigned char>;
using SharedBytes = std::shared_ptr<const Bytes>;

// Nesting deeper than this is no state dict; the limit also ends reference cycles.
constexpr int kMaxDepth = 64;
// Real keys are module paths of a few dozen characters; this cap stops a file that nests one
// long memoized key 64 times from costing 64 times its size.
constexpr size_t kMaxKeyLength = 4096;
// torch allows at most 64 dimensions too.
constexpr size_t kMaxDims = 64;
// An expanded view (stride 0) may have more elements than its storage, but to_float()
// materializes them all, so a hostile 1e12-element view of one float must be refused.
constexpr int64_t kMaxExpandedNumel = int64_t{1} << 24;

// The storage a persistent id names: ('storage', storage_type, key, location, numel[, view]).
struct StorageRef {
  DType dtype = DType::Float32;
  std::string key;
  int64_t numel = 0;
  bool is_view = false;  // legacy format only: (view_key, offset, size) of the root storage
  std::string view_key;
  int64_t view_offset = 0;
  int64_t view_size = 0;
};

// A loaded storage and the name error messages give it ("archive/data/3" or a legacy key).
struct Storage {
  SharedBytes bytes;
  std::string label;
};

using StorageLoader = std::function<Storage(const StorageRef&)>;

std::string quoted(const std::string& s) { return "'" + s + "'"; }

bool dtype_from_torch_name(const std::string& name, DType& dtype) {
  static const std::unordered_map<std::string, DType> kNames = {
      {"FloatStorage", DType::Float32}, {"float32", DType::Float32},   {"float", DType::Float32},
      {"HalfStorage", DType::Float16},  {"float16", DType::Float16},   {"half", DType::Float16},
      {"BFloat16Storage", DType::BFloat16}, {"bfloat16", DType::BFloat16},
      {"DoubleStorage", DType::Float64}, {"float64", DType::Float64},  {"double", DType::Float64},
      {"LongStorage", DType::Int64},    {"int64", DType::Int64},       {"long", DType::Int64},
      {"IntStorage", DType::Int32},     {"int32", DType::Int32},       {"int", DType::Int32},
      {"ShortStorage", DType::Int16},   {"int16", DType::Int16},       {"short", DType::Int16},
      {"CharStorage", DType::Int8},     {"int8", DType::Int8},
      {"ByteStorage", DType::UInt8},    {"uint8", DType::UInt8},       {"UntypedStorage", DType::UInt8},
      {"BoolStorage", DType::Bool},     {"bool", DType::Bool}};
  auto it = kNames.find(name);
  if (it == kNames.end()) return false;
  dtype = it->second;
  return true;
}

// Returns a*b+c, or -1 when the result would not fit in int64_t (all inputs are >= 0).
int64_t checked_mul_add(int64_t a, int64_t b, int64_t c) {
  int64_t product = 0, sum = 0;
  if (__builtin_mul_overflow(a, b, &product) || __builtin_add_overflow(product, c, &sum)) return -1;
  return sum;
}

// Checks that the view (shape, stride, offset) stays inside its storage, and returns "" or
// the reason it does not.
std::string view_problem(const RawTensor& t) {
  if (!t.storage) return "has no storage";
  if (t.shape.size() != t.stride.size()) return "has " + std::to_string(t.shape.size()) + " sizes but " +
                                                 std::to_string(t.stride.size()) + " strides";
  if (t.shape.size() > kMaxDims) return "has too many dimensions";
  if (t.offset < 0) return "has a negative storage offset";
  int64_t numel = 1, last = t.offset;
  for (size_t d = 0; d < t.shape.size(); ++d) {
    if (t.shape[d] < 0 || t.stride[d] < 0) return "has a negative size or stride";
    numel = checked_mul_add(numel, t.shape[d], 0);
    if (t.shape[d] > 0) last = checked_mul_add(t.shape[d] - 1, t.stride[d], last);
    if (numel < 0 || last < 0) return "has a shape too large to address";
  }
  int64_t elements = static_cast<int64_t>(t.storage->size() / dtype_size(t.dtype));
  if (numel == 0) return "";
  if (last >= elements) {
    return "reaches element " + std::to_string(last) + " of a storage of " + std::to_string(elements) + " " +
           dtype_name(t.dtype) + " elements";
  }
  if (numel > elements && numel > kMaxExpandedNumel) {
    return "is an expanded view of " + std::to_string(numel) + " elements, too many to load";
  }
  return "";
}

// Parses a persistent id; shared with the legacy reader, which needs every storage's dtype
// before it can read their bytes.
StorageRef parse_storage_ref(const Pickle& p, const PyObject& pid, const std::string& where) {
  auto bad = [&](const std::string& why) { throw FormatError(where + ": bad storage id: " + why); };
  const PyObject& id = p.at(pid.items.at(0));
  if (id.kind != PyKind::Tuple || (id.items.size() != 5 && id.items.size() != 6)) bad("not a 5- or 6-tuple");
  auto item = [&](size_t i) -> const PyObject& { return p.at(id.items[i]); };
  if (item(0).kind != PyKind::Str || item(0).text != "storage") bad("not a storage");
  StorageRef ref;
  if (item(1).kind != PyKind::Global || item(1).text != "torch" || !dtype_from_torch_name(item(1).name, ref.dtype)) {
    bad("unknown storage type");
  }
  if (item(2).kind != PyKind::Str) bad("key is not a string");
  ref.key = item(2).text;
  if (item(4).kind != PyKind::Int || item(4).int_value < 0) bad("bad element count");
  ref.numel = item(4).int_value;
  if (id.items.size() == 6 && item(5).kind != PyKind::None) {
    const PyObject& view = item(5);
    if (view.kind != PyKind::Tuple || view.items.size() != 3 || p.at(view.items[0]).kind != PyKind::Str ||
        p.at(view.items[1]).kind != PyKind::Int || p.at(view.items[2]).kind != PyKind::Int) {
      bad("bad view metadata");
    }
    ref.is_view = true;
    ref.view_key = p.at(view.items[0]).text;
    ref.view_offset = p.at(view.items[1]).int_value;
    ref.view_size = p.at(view.items[2]).int_value;
  }
  return ref;
}

// Turns the pickled object tree into flattened, validated tensors. Storages are loaded on
// first use through `load`, so a tensor that shares a storage shares its bytes.
class TensorTreeReader {
 public:
  TensorTreeReader(const Pickle& pickle, std::string where, StorageLoader load)
      : p_(pickle), where_(std::move(where)), load_(std::move(load)),
        visits_left_(4 * pickle.objects.size() + 1024) {}

  TensorDict read() {
    const PyObject& root = p_.at(p_.root);
    if (root.kind != PyKind::Dict) {
      fail(std::string("the checkpoint holds a ") + py_kind_name(root.kind) + ", not a dict of tensors");
    }
    walk(p_.root, "", 0);
    return std::move(out_);
  }

 private:
  [[noreturn]] void fail(const std::string& why) const { throw FormatError(where_ + ": " + why); }
  [[noreturn]] void fail_tensor(const std::string& key, const std::string& why) const {
    fail("tensor " + quoted(key) + " " + why);
  }

  // A shared sub-dict is walked once per reference; the budget stops a pickle whose dicts
  // share each other exponentially.
  void walk(PyRef ref, const std::string& key, int depth) {
    if (depth > kMaxDepth) fail("dicts nested too deeply at " + quoted(key));
    if (visits_left_-- == 0) fail("too many shared references");
    const PyObject& o = p_.at(ref);
    if (o.kind == PyKind::Call) {
      if (!out_.emplace(key, tensor_from_call(o, key, 0)).second) fail("duplicate key " + quoted(key));
      return;
    }
    if (o.kind != PyKind::Dict) return;  // ints, strings, None, lists: not weights
    for (size_t i = 0; i + 1 < o.items.size(); i += 2) {
      const PyObject& k = p_.at(o.items[i]);
      std::string name;
      if (k.kind == PyKind::Str) name = k.text;
      else if (k.kind == PyKind::Int) name = std::to_string(k.int_value);
      else continue;
      if (key.size() + name.size() >= kMaxKeyLength) fail("key too long under " + quoted(key.substr(0, 64)));
      walk(o.items[i + 1], key.empty() ? name : key + "." + name, depth + 1);
    }
  }

  RawTensor tensor_from_call(const PyObject& call, const std::string& key, int depth) {
    const std::string& f = p_.at(call.items[0]).name;
    const std::vector<PyRef>& args = p_.at(call.items[1]).items;
    if (f == "_rebuild_parameter" || f == "_rebuild_parameter_with_state") {
      // (data, requires_grad, backward_hooks[, state]): the tensor is the data.
      if (args.size() < 3 || args.size() > 4 || p_.at(args[0]).kind != PyKind::Call || depth > 0) {
        fail_tensor(key, "is a malformed Parameter");
      }
      return tensor_from_call(p_.at(args[0]), key, depth + 1);
    }
    bool v2 = f == "_rebuild_tensor_v2";
    if (!(v2 && (args.size() == 6 || args.size() == 7)) && !(f == "_rebuild_tensor" && args.size() == 4)) {
      fail_tensor(key, "is built by " + f + " with " + std::to_string(args.size()) + " arguments");
    }
    const PyObject& pid = p_.at(args[0]);
    if (pid.kind != PyKind::PersistentId) fail_tensor(key, "has no storage");
    StorageRef ref = parse_storage_ref(p_, pid, where_);
    Storage storage = load_(ref);
    RawTensor t;
    t.dtype = ref.dtype;
    t.storage = storage.bytes;
    t.offset = int_arg(args[1], key, "storage offset");
    t.shape = int_tuple(args[2], key, "size");
    t.stride = int_tuple(args[3], key, "stride");
    std::string problem = view_problem(t);
    if (!problem.empty()) fail_tensor(key, problem + " (storage " + quoted(storage.label) + ")");
    return t;
  }

  int64_t int_arg(PyRef ref, const std::string& key, const char* what) const {
    const PyObject& o = p_.at(ref);
    if (o.kind != PyKind::Int) fail_tensor(key, std::string("has a ") + py_kind_name(o.kind) + " as " + what);
    return o.int_value;
  }

  std::vector<int64_t> int_tuple(PyRef ref, const std::string& key, const char* what) const {
    const PyObject& o = p_.at(ref);
    if (o.kind != PyKind::Tuple) fail_tensor(key, std::string("has a ") + py_kind_name(o.kind) + " as " + what);
    if (o.items.size() > kMaxDims) fail_tensor(key, "has too many dimensions");
    std::vector<int64_t> values;
    for (PyRef item : o.items) values.push_back(int_arg(item, key, what));
    return values;
  }

  const Pickle& p_;
  std::string where_;
  StorageLoader load_;
  size_t visits_left_;
  TensorDict out_;
};

// Checks that a storage of `available` bytes holds the `numel` elements its id promises.
void check_storage_size(const StorageRef& ref, uint64_t available, const std::string& label, const std::string& where) {
  int64_t needed = checked_mul_add(ref.numel, static_cast<int64_t>(dtype_size(ref.dtype)), 0);
  if (needed < 0 || static_cast<uint64_t>(needed) > available) {
    throw FormatError(where + ": truncated: storage " + quoted(label) + " needs " +
                      (needed < 0 ? std::string("too many") : std::to_string(needed)) + " bytes, file has " +
                      std::to_string(available));
  }
}

TensorDict read_zip(const unsigned char* data, size_t size, const std::string& where) {
  ZipArchive zip(data, size, where);
  const std::string prefix = zip.torch_prefix();
  if (const ZipEntry* order = zip.find(prefix + "/byteorder")) {
    ZipBytes b = zip.read(*order);
    if (std::string(reinterpret_cast<const char*>(b.data), b.size) != "little") {
      throw FormatError(where + ": big-endian checkpoints are not supported");
    }
  }
  const std::string pkl_name = prefix + "/data.pkl";
  ZipBytes pkl = zip.read(*zip.find(pkl_name));
  Pickle pickle = read_pickle(pkl.data, pkl.size, 0, where + " (" + pkl_name + ")");
  std::unordered_map<std::string, SharedBytes> cache;
  auto load = [&](const StorageRef& ref) {
    const std::string name = prefix + "/data/" + ref.key;
    if (ref.is_view) throw FormatError(where + ": storage " + quoted(name) + " is a view, which zip files never hold");
    const ZipEntry* entry = zip.find(name);
    if (!entry) throw FormatError(where + ": missing storage " + quoted(name));
    SharedBytes& bytes = cache[ref.key];
    if (!bytes) {
      ZipBytes b = zip.read(*entry);
      bytes = std::make_shared<const Bytes>(b.data, b.data + b.size);
    }
    check_storage_size(ref, bytes->size(), name, where);
    return Storage{bytes, name};
  };
  return TensorTreeReader(pickle, where, load).read();
}

// The legacy format is a stream of pickles: magic number, protocol version, sys_info, the
// object, the list of storage keys; then each storage as an int64 count and raw bytes.
class LegacyReader {
 public:
  LegacyReader(const unsigned char* data, size_t size, std::string where)
      : data_(data), size_(size), where_(std::move(where)) {}

  TensorDict read() {
    check_header();
    Pickle objects = next_pickle();
    register_storages(objects);
    read_storages(next_pickle());
    auto load = [this](const StorageRef& ref) { return resolve(ref); };
    return TensorTreeReader(objects, where_, load).read();
  }

 private:
  struct RootStorage {
    DType dtype;
    SharedBytes bytes;
  };

  [[noreturn]] void fail(const std::string& why) const { throw FormatError(where_ + ": " + why); }

  Pickle next_pickle() {
    Pickle p = read_pickle(data_, size_, pos_, where_);
    pos_ = p.end;
    return p;
  }

  void check_header() {
    static const unsigned char kMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
    if (size_ < 2 || data_[0] != 0x80) fail("not a torch checkpoint (neither a zip archive nor a legacy pickle)");
    Pickle magic = next_pickle();
    const PyObject& m = magic.at(magic.root);
    if (m.kind != PyKind::BigInt || m.text != std::string(reinterpret_cast<const char*>(kMagic), sizeof kMagic)) {
      fail("not a torch checkpoint: bad magic number");
    }
    Pickle version = next_pickle();
    const PyObject& v = version.at(version.root);
    if (v.kind != PyKind::Int || v.int_value != 1001) fail("unsupported legacy protocol version");
    Pickle info = next_pickle();
    const PyObject& d = info.at(info.root);
    for (size_t i = 0; d.kind == PyKind::Dict && i + 1 < d.items.size(); i += 2) {
      const PyObject& k = info.at(d.items[i]);
      const PyObject& value = info.at(d.items[i + 1]);
      if (k.kind == PyKind::Str && k.text == "little_endian" && value.kind == PyKind::Bool && !value.int_value) {
        fail("big-endian checkpoints are not supported");
      }
    }
  }

  // Every persistent id names its root storage's dtype; the bytes come later in the file.
  void register_storages(const Pickle& objects) {
    for (const PyObject& o : objects.objects) {
      if (o.kind != PyKind::PersistentId) continue;
      StorageRef ref = parse_storage_ref(objects, o, where_);
      auto it = roots_.emplace(ref.key, RootStorage{ref.dtype, nullptr}).first;
      if (it->second.dtype != ref.dtype) fail("storage " + quoted(ref.key) + " is used with two dtypes");
    }
  }

  void read_storages(const Pickle& keys) {
    const PyObject& list = keys.at(keys.root);
    if (list.kind != PyKind::List) fail("storage key list is a " + std::string(py_kind_name(list.kind)));
    for (PyRef item : list.items) {
      const PyObject& key = keys.at(item);
      if (key.kind != PyKind::Str) fail("storage key is not a string");
      auto it = roots_.find(key.text);
      if (it == roots_.end()) fail("storage " + quoted(key.text) + " is listed but never used");
      if (it->second.bytes) fail("storage " + quoted(key.text) + " is listed twice");
      it->second.bytes = read_storage_bytes(key.text, it->second.dtype);
    }
  }

  SharedBytes read_storage_bytes(const std::string& key, DType dtype) {
    if (size_ - pos_ < 8) fail("truncated: storage " + quoted(key) + " has no element count");
    int64_t count = 0;
    std::memcpy(&count, data_ + pos_, 8);
    pos_ += 8;
    StorageRef ref;
    ref.dtype = dtype;
    ref.numel = count;
    if (count < 0) fail("storage " + quoted(key) + " has a negative element count");
    check_storage_size(ref, size_ - pos_, key, where_);
    size_t n = static_cast<size_t>(count) * dtype_size(dtype);
    auto bytes = std::make_shared<const Bytes>(data_ + pos_, data_ + pos_ + n);
    pos_ += n;
    return bytes;
  }

  Storage resolve(const StorageRef& ref) {
    const RootStorage& root = roots_.at(ref.key);
    if (!root.bytes) fail("storage " + quoted(ref.key) + " has no data in the file");
    check_storage_size(ref, root.bytes->size(), ref.key, where_);
    if (!ref.is_view) return Storage{root.bytes, ref.key};
    // Views are an old (torch < 1.0) feature; copy the slice once per view key.
    SharedBytes& view = views_[ref.view_key];
    if (!view) {
      size_t es = dtype_size(ref.dtype);
      int64_t end = checked_mul_add(ref.view_offset, 1, ref.view_size);
      if (ref.view_offset < 0 || ref.view_size < 0 || end < 0 ||
          static_cast<uint64_t>(end) > root.bytes->size() / es) {
        fail("storage view " + quoted(ref.view_key) + " lies outside storage " + quoted(ref.key));
      }
      const unsigned char* first = root.bytes->data() + static_cast<size_t>(ref.view_offset) * es;
      view = std::make_shared<const Bytes>(first, first + static_cast<size_t>(ref.view_size) * es);
    }
    return Storage{view, ref.view_key};
  }

  const unsigned char* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string where_;
  std::unordered_map<std::string, RootStorage> roots_;
  std::unordered_map<std::string, SharedBytes> views_;
};

// --- conversion to float ----------------------------------------------------------------------

template <typename T>
float load_number(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return static_cast<float>(v);
}

float load_half(const unsigned char* p) {
  uint16_t h = static_cast<uint16_t>(p[0] | (p[1] << 8));
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  if (exp == 0) {
    float f = std::ldexp(static_cast<float>(mant), -24);  // zero or subnormal
    return sign ? -f : f;
  }
  uint32_t bits = exp == 31 ? sign | 0x7f800000u | (mant << 13) : sign | ((exp + 112) << 23) | (mant << 13);
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

float load_bfloat16(const unsigned char* p) {
  uint32_t bits = static_cast<uint32_t>(p[0] | (p[1] << 8)) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

float load_bool(const unsigned char* p) { return *p ? 1.0f : 0.0f; }

// Copies the view in row-major order: the innermost dimension in a tight loop, the outer ones
// by an odometer.
template <float (*Load)(const unsigned char*)>
void gather(const RawTensor& t, float* out) {
  const unsigned char* base = t.storage->data();
  const int64_t es = static_cast<int64_t>(dtype_size(t.dtype));
  const size_t nd = t.shape.size();
  const int64_t inner = nd ? t.shape[nd - 1] : 1, inner_stride = nd ? t.stride[nd - 1] : 0;
  std::vector<int64_t> index(nd ? nd - 1 : 0, 0);
  int64_t pos = t.offset;
  for (int64_t rows = t.numel() / inner; rows > 0; --rows) {
    for (int64_t j = 0; j < inner; ++j) *out++ = Load(base + (pos + j * inner_stride) * es);
    for (size_t d = index.size(); d-- > 0;) {
      if (++index[d] < t.shape[d]) {
        pos += t.stride[d];
        break;
      }
      pos -= t.stride[d] * (t.shape[d] - 1);
      index[d] = 0;
    }
  }
}

}  // namespace
}  // namespace detail

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "float32";
    case DType::Float16: return "float16";
    case DType::BFloat16: return "bfloat16";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
    case DType::Int32: return "int32";
    case DType::Int16: return "int16";
    case DType::Int8: return "int8";
    case DType::UInt8: return "uint8";
    case DType::Bool: return "bool";
  }
  return "unknown";
}

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::Float64: case DType::Int64: return 8;
    case DType::Float32: case DType::Int32: return 4;
    case DType::Float16: case DType::BFloat16: case DType::Int16: return 2;
    case DType::Int8: case DType::UInt8: case DType::Bool: return 1;
  }
  return 1;
}

int64_t RawTensor::numel() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

std::vector<float> RawTensor::to_float() const {
  std::string problem = detail::view_problem(*this);
  if (!problem.empty()) throw FormatError("tensor " + problem);
  std::vector<float> out(static_cast<size_t>(numel()));
  if (out.empty()) return out;
  using namespace detail;
  switch (dtype) {
    case DType::Float32: gather<load_number<float>>(*this, out.data()); break;
    case DType::Float16: gather<load_half>(*this, out.data()); break;
    case DType::BFloat16: gather<load_bfloat16>(*this, out.data()); break;
    case DType::Float64: gather<load_number<double>>(*this, out.data()); break;
    case DType::Int64: gather<load_number<int64_t>>(*this, out.data()); break;
    case DType::Int32: gather<load_number<int32_t>>(*this, out.data()); break;
    case DType::Int16: gather<load_number<int16_t>>(*this, out.data()); break;
    case DType::Int8: gather<load_number<int8_t>>(*this, out.data()); break;
    case DType::UInt8: gather<load_number<uint8_t>>(*this, out.data()); break;
    case DType::Bool: gather<load_bool>(*this, out.data()); break;
  }
  return out;
}

TensorDict read_torch_checkpoint_bytes(const unsigned char* data, size_t size, const std::string& name) {
  const std::string where = detail::quoted(name);
  if (looks_like_zip(data, size)) return detail::read_zip(data, size, where);
  return detail::LegacyReader(data, size, where).read();
}

TensorDict read_torch_checkpoint(const std::string& path) {
  auto fail = [&](int err) { throw FormatError(detail::quoted(path) + ": cannot read: " + std::strerror(err)); };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f) fail(errno);
  std::vector<unsigned char> bytes;
  struct stat st;
  if (::fstat(::fileno(f.get()), &st) == 0 && S_ISREG(st.st_mode)) bytes.reserve(static_cast<size_t>(st.st_size));
  unsigned char buffer[1 << 16];
  // Reading in chunks rather than by the file's size also works for pipes and /dev/fd.
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, f.get())) > 0;) {
    bytes.insert(bytes.end(), buffer, buffer + n);
  }
  if (std::ferror(f.get())) fail(errno ? errno : EIO);
  return read_torch_checkpoint_bytes(bytes.data(), bytes.size(), path);
}

}  // namespace rd
