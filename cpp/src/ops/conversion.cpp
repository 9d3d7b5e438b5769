// Type conversion and selection: Convert, ConvertLike, Select.
// Convert follows OpenVINO's reference semantics: float -> integer truncates toward zero (x86
// cvtt: NaN / out of range give the "integer indefinite" value), integer -> narrower integer
// wraps modulo 2^N, anything -> boolean is "!= 0", integer -> float rounds through f32.
#include <cstring>
#include <vector>

#include "broadcast_util.hpp"
#include "irconv/op_registry.hpp"

namespace irconv {
namespace {

using Tensors = std::vector<const Tensor*>;

bool is_float_et(ET t) { return t != ET::dynamic && et_info(t).is_float; }

// Converts element i of `src` (type s) into element i of `dst` (type d); both plain types.
void convert_element(ET s, const uint8_t* src, ET d, uint8_t* dst, uint64_t i) {
  if (d == ET::boolean) {
    dst[i] = is_float_et(s) ? load_f64(s, src, i) != 0.0 : load_i64(s, src, i) != 0;
  } else if (is_float_et(s)) {
    double v = load_f64(s, src, i);
    if (is_float_et(d)) store_f64(d, dst, i, v);
    else store_i64(d, dst, i, float_to_int_like_ov(v, d));
  } else {
    int64_t v = load_i64(s, src, i);
    if (d == ET::f64) store_f64(d, dst, i, s == ET::u64 ? (double)(uint64_t)v : (double)v);
    else if (is_float_et(d)) store_f64(d, dst, i, s == ET::u64 ? (float)(uint64_t)v : (float)v);
    else store_i64(d, dst, i, v);
  }
}

bool convert_tensor(const Tensor& x, ET to, Tensor& out) {
  if (!et_is_plain(x.et) || !et_is_plain(to)) return false;
  if (x.et == to) {
    out = Tensor::owned(to, x.shape, std::vector<uint8_t>(x.data, x.data + x.nbytes));
    return true;
  }
  Tensor r = Tensor::zeros(to, x.shape);
  uint8_t* dst = r.mutable_data();
  for (uint64_t i = 0; i < x.numel(); ++i) convert_element(x.et, x.data, to, dst, i);
  out = std::move(r);
  return true;
}

ET destination_type(const Node& n) {
  std::string s = n.attr_s("destination_type");
  try {
    return et_from_string(s);
  } catch (const Error&) {
    IRCONV_CHECK(false, n.describe() << ": destination_type='" << s << "' is not an element type");
  }
  return ET::dynamic;
}

void infer_convert(Node& n) { n.set_output(0, destination_type(n), n.in_shape(0)); }

bool eval_convert(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  return convert_tensor(*in[0], destination_type(n), out[0]);
}

// ConvertLike-1: data converted to the element type of the second input.
void infer_convert_like(Node& n) { n.set_output(0, n.in_type(1), n.in_shape(0)); }

bool eval_convert_like(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  return convert_tensor(*in[0], in[1]->et, out[0]);
}

// Select-1: then/else broadcast to each other, then cond is merged in (numpy: both ways).
void infer_select(Node& n) {
  ET c = n.in_type(0);
  IRCONV_CHECK(c == ET::boolean || c == ET::dynamic,
               n.describe() << ": input 0 (cond) must be boolean, got " << et_name(c));
  ET et = merge_input_types(n, 1, 2);
  bcast::Mode m = bcast::read_mode(n);
  PartialShape s = bcast::infer_binary(n, n.in_shape(1), n.in_shape(2), m);
  PartialShape r = s;
  IRCONV_CHECK(bcast::merge_into(r, n.in_shape(0), m),
               n.describe() << ": cond shape " << n.in_shape(0).to_string() << " does not broadcast to "
                            << s.to_string());
  n.set_output(0, et, r);
}

bool eval_select(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& c = *in[0];
  const Tensor& a = *in[1];
  const Tensor& b = *in[2];
  const int bits = et_info(a.et).bits;
  if (c.et != ET::boolean || a.et != b.et || a.et == ET::string || bits == 0 || bits % 8 != 0) return false;
  std::vector<int64_t> shape, offs;
  if (!bcast::eval_layout({a.shape, b.shape, c.shape}, bcast::read_mode(n), shape, offs)) return false;
  const size_t es = (size_t)bits / 8;
  Tensor r = Tensor::zeros(a.et, shape);
  uint8_t* dst = r.mutable_data();
  bcast::BroadcastIter it(shape, {a.shape, b.shape, c.shape}, offs);
  for (uint64_t k = 0; k < it.count(); ++k, it.next()) {
    const uint8_t* src = c.data[it.index(2)] ? a.data + it.index(0) * es : b.data + it.index(1) * es;
    std::memcpy(dst + k * es, src, es);
  }
  out[0] = std::move(r);
  return true;
}

}  // namespace

IRCONV_OPS(conversion) {
  reg({"Convert", "opset1", 1, 1, infer_convert, eval_convert});
  reg({"ConvertLike", "opset1", 2, 2, infer_convert_like, eval_convert_like});
  reg({"Select", "opset1", 3, 3, infer_select, eval_select});
}

}  // namespace irconv
