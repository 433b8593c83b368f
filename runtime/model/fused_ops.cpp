#include "model/fused_ops.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace dataflex {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// The row loops are compiled twice, for AVX2 and for the baseline (SSE2), and the loader picks the
// variant the CPU runs (GCC's target_clones): plain loops the compiler vectorises, no intrinsics; the
// reductions are marked `omp simd` (this file is compiled with -fopenmp-simd: the pragmas, no runtime).
// The clone is chosen by feature ("avx2"), not by CPU model: "arch=haswell" dispatches on the model, so
// an AMD EPYC ran the baseline clone, 10x slower than ATen's silu * up (measured; docs/performance.md).
// A test compiles this file once more with DATAFLEX_KERNEL empty (the baseline only) in a namespace of its
// own (tests/engine/baseline_kernels.cpp), so the clone a CPU without AVX2 runs is checked here too.
#ifndef DATAFLEX_KERNEL
#define DATAFLEX_KERNEL __attribute__((target_clones("avx2", "default")))
#endif

// e^x for x <= 0 (softmax) or any x (the sigmoid), to about 2 ulp: Cody-Waite range reduction and Cephes'
// polynomial, branch-free so that the loops around it vectorise (std::exp does not). n = x / ln 2
// rounded to the nearest integer by adding and removing 1.5 * 2^23 (no std::floor: below SSE4.1 that is
// a library call per element, which keeps the baseline clone from vectorising; this file is not built
// with -ffast-math, so the compiler keeps the two additions).
inline __attribute__((always_inline)) float exp_approx(float x) {
  // Clamped with value selects: std::min / std::max return references, which GCC leaves as branches
  // ("control flow in loop": the loops did not vectorise).
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23
  const float n = (x * 1.44269504088896341f + kRound) - kRound;
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

constexpr int64_t kRowGrain = 16;

// --- RMSNorm ---

DATAFLEX_KERNEL void rms_norm_rows(const float* x, const float* w, float* y, float* rstd, int64_t begin, int64_t end,
                                   int64_t n, float eps) {
  for (int64_t r = begin; r < end; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < n; ++j) sum += xr[j] * xr[j];
    const float s = 1.0f / std::sqrt(sum / static_cast<float>(n) + eps);
    rstd[r] = s;
    for (int64_t j = 0; j < n; ++j) yr[j] = w[j] * (xr[j] * s);
  }
}

// dx = s * w * dy - x * s^3 / n * sum(w * dy * x); dw accumulates dy * x * s (per thread).
DATAFLEX_KERNEL void rms_norm_backward_rows(const float* x, const float* w, const float* rstd, const float* dy,
                                            float* dx, float* dw, int64_t begin, int64_t end, int64_t n) {
  for (int64_t r = begin; r < end; ++r) {
    const float* xr = x + r * n;
    const float* dyr = dy + r * n;
    float* dxr = dx + r * n;
    const float s = rstd[r];
    float dot = 0;
#pragma omp simd reduction(+ : dot)
    for (int64_t j = 0; j < n; ++j) dot += w[j] * dyr[j] * xr[j];
    const float c = s * s * s * dot / static_cast<float>(n);
    for (int64_t j = 0; j < n; ++j) dxr[j] = s * w[j] * dyr[j] - xr[j] * c;
    if (dw)
      for (int64_t j = 0; j < n; ++j) dw[j] += dyr[j] * xr[j] * s;
  }
}

struct RmsNormFunction : torch::autograd::Function<RmsNormFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x_in, const at::Tensor& w_in, double eps) {
    const at::Tensor x = x_in.contiguous(), w = w_in.contiguous();
    const int64_t n = x.size(-1), rows = x.numel() / n;
    at::Tensor y = at::empty_like(x), rstd = at::empty({rows}, x.options());
    const float *xp = x.data_ptr<float>(), *wp = w.data_ptr<float>();
    float *yp = y.data_ptr<float>(), *sp = rstd.data_ptr<float>();
    at::parallel_for(0, rows, kRowGrain,
                     [&](int64_t b, int64_t e) { rms_norm_rows(xp, wp, yp, sp, b, e, n, static_cast<float>(eps)); });
    ctx->save_for_backward({x, w, rstd});
    return y;
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &w = saved[1], &rstd = saved[2];
    const at::Tensor dy = grads[0].contiguous();
    const int64_t n = x.size(-1), rows = x.numel() / n;
    const bool want_dw = ctx->needs_input_grad(1);
    at::Tensor dx = at::empty_like(x);
    // One partial sum of dw per thread, added up at the end: no thread writes another's.
    at::Tensor partial = want_dw ? at::zeros({at::get_num_threads(), n}, x.options()) : at::Tensor();
    const float *xp = x.data_ptr<float>(), *wp = w.data_ptr<float>(), *sp = rstd.data_ptr<float>(),
                *dyp = dy.data_ptr<float>();
    float* dxp = dx.data_ptr<float>();
    float* pp = want_dw ? partial.data_ptr<float>() : nullptr;
    at::parallel_for(0, rows, kRowGrain, [&](int64_t b, int64_t e) {
      float* dw = pp ? pp + at::get_thread_num() * n : nullptr;
      rms_norm_backward_rows(xp, wp, sp, dyp, dxp, dw, b, e, n);
    });
    return {dx, want_dw ? partial.sum(0) : at::Tensor(), at::Tensor()};
  }
};

// --- SiLU(gate) * up ---

DATAFLEX_KERNEL void silu_mul_range(const float* g, const float* u, float* y, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) {
    const float sig = 1.0f / (1.0f + exp_approx(-g[i]));
    y[i] = g[i] * sig * u[i];
  }
}

// d gate = dy * up * s * (1 + g * (1 - s)), d up = dy * g * s, with s = sigmoid(g).
DATAFLEX_KERNEL void silu_mul_backward_range(const float* g, const float* u, const float* dy, float* dg, float* du,
                                             int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) {
    const float sig = 1.0f / (1.0f + exp_approx(-g[i]));
    dg[i] = dy[i] * u[i] * sig * (1.0f + g[i] * (1.0f - sig));
    du[i] = dy[i] * g[i] * sig;
  }
}

constexpr int64_t kElementGrain = 32768;

struct SiluMulFunction : torch::autograd::Function<SiluMulFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& g_in, const at::Tensor& u_in) {
    const at::Tensor g = g_in.contiguous(), u = u_in.contiguous();
    at::Tensor y = at::empty_like(g);
    const float *gp = g.data_ptr<float>(), *up = u.data_ptr<float>();
    float* yp = y.data_ptr<float>();
    at::parallel_for(0, g.numel(), kElementGrain, [&](int64_t b, int64_t e) { silu_mul_range(gp, up, yp, b, e); });
    ctx->save_for_backward({g, u});
    return y;
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &g = saved[0], &u = saved[1];
    const at::Tensor dy = grads[0].contiguous();
    at::Tensor dg = at::empty_like(g), du = at::empty_like(u);
    const float *gp = g.data_ptr<float>(), *up = u.data_ptr<float>(), *dyp = dy.data_ptr<float>();
    float *dgp = dg.data_ptr<float>(), *dup = du.data_ptr<float>();
    at::parallel_for(0, g.numel(), kElementGrain,
                     [&](int64_t b, int64_t e) { silu_mul_backward_range(gp, up, dyp, dgp, dup, b, e); });
    return {dg, du};
  }
};

// gate and up side by side in each row of one tensor [..., 2I] (one GEMM made both): no copy to split them.
struct PackedSiluMulFunction : torch::autograd::Function<PackedSiluMulFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& gu_in) {
    const at::Tensor gu = gu_in.contiguous();
    const int64_t I = gu.size(-1) / 2, rows = gu.numel() / (2 * I);
    std::vector<int64_t> shape = gu.sizes().vec();
    shape.back() = I;
    at::Tensor y = at::empty(shape, gu.options());
    const float* gp = gu.data_ptr<float>();
    float* yp = y.data_ptr<float>();
    at::parallel_for(0, rows, std::max<int64_t>(1, kElementGrain / I), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) silu_mul_range(gp + r * 2 * I, gp + r * 2 * I + I, yp + r * I, 0, I);
    });
    ctx->save_for_backward({gu});
    return y;
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const at::Tensor gu = ctx->get_saved_variables()[0];
    const at::Tensor dy = grads[0].contiguous();
    const int64_t I = gu.size(-1) / 2, rows = gu.numel() / (2 * I);
    at::Tensor dgu = at::empty_like(gu);
    const float *gp = gu.data_ptr<float>(), *dyp = dy.data_ptr<float>();
    float* dp = dgu.data_ptr<float>();
    at::parallel_for(0, rows, std::max<int64_t>(1, kElementGrain / I), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const float* g = gp + r * 2 * I;
        float* dg = dp + r * 2 * I;
        silu_mul_backward_range(g, g + I, dyp + r * I, dg, dg + I, 0, I);
      }
    });
    return {dgu};
  }
};

// --- rotary position embedding ---

// One head's row: y = x * cos + rotate_half(x) * sin, rotate_half(x) = [-x2, x1] over the halves of D.
DATAFLEX_KERNEL void rope_row(const float* x, const float* c, const float* s, float* y, int64_t half) {
  for (int64_t j = 0; j < half; ++j) {
    y[j] = x[j] * c[j] - x[j + half] * s[j];
    y[j + half] = x[j + half] * c[j + half] + x[j] * s[j + half];
  }
}

// Its transpose: dx1 = dy1 * cos1 + dy2 * sin2, dx2 = dy2 * cos2 - dy1 * sin1.
DATAFLEX_KERNEL void rope_backward_row(const float* dy, const float* c, const float* s, float* dx, int64_t half) {
  for (int64_t j = 0; j < half; ++j) {
    dx[j] = dy[j] * c[j] + dy[j + half] * s[j + half];
    dx[j + half] = dy[j + half] * c[j + half] - dy[j] * s[j];
  }
}

// x [B, T, heads, D] as the projection made it (any strides but the last), y [B, heads, T, D] contiguous:
// the rotation and attention's transpose in one pass.
struct RopeFunction : torch::autograd::Function<RopeFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x_in, const at::Tensor& cos_in,
                            const at::Tensor& sin_in) {
    const at::Tensor x = x_in.stride(3) == 1 ? x_in : x_in.contiguous();
    const at::Tensor cos = cos_in.contiguous(), sin = sin_in.contiguous();
    const int64_t B = x.size(0), T = x.size(1), Hn = x.size(2), D = x.size(3);
    at::Tensor y = at::empty({B, Hn, T, D}, x.options());
    const float *xp = x.data_ptr<float>(), *cp = cos.data_ptr<float>(), *sp = sin.data_ptr<float>();
    float* yp = y.data_ptr<float>();
    const int64_t sb = x.stride(0), st = x.stride(1), sh = x.stride(2);
    at::parallel_for(0, B * T * Hn, std::max<int64_t>(1, kElementGrain / D), [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {  // r walks x's rows in (b, t, h) order
        const int64_t b = r / (T * Hn), t = (r / Hn) % T, h = r % Hn;
        rope_row(xp + b * sb + t * st + h * sh, cp + t * D, sp + t * D, yp + ((b * Hn + h) * T + t) * D, D / 2);
      }
    });
    ctx->save_for_backward({cos, sin});
    return y;
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &cos = saved[0], &sin = saved[1];
    const at::Tensor dy = grads[0].contiguous();  // [B, heads, T, D]
    const int64_t B = dy.size(0), Hn = dy.size(1), T = dy.size(2), D = dy.size(3);
    at::Tensor dx = at::empty({B, T, Hn, D}, dy.options());
    const float *dyp = dy.data_ptr<float>(), *cp = cos.data_ptr<float>(), *sp = sin.data_ptr<float>();
    float* dxp = dx.data_ptr<float>();
    at::parallel_for(0, B * T * Hn, std::max<int64_t>(1, kElementGrain / D), [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t b = r / (T * Hn), t = (r / Hn) % T, h = r % Hn;
        rope_backward_row(dyp + ((b * Hn + h) * T + t) * D, cp + t * D, sp + t * D, dxp + r * D, D / 2);
      }
    });
    return {dx, at::Tensor(), at::Tensor()};
  }
};

// --- AdamW ---

// One pass over a parameter and its gradient and moments, in the order of LibTorch's AdamW step:
// p *= decay; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= step_size * m / (sqrt(v) / sqrt_bc2 + eps).
DATAFLEX_KERNEL void adamw_range(float* p, const float* g, float* m, float* v, int64_t begin, int64_t end, float decay,
                                 float b1, float b2, float sqrt_bc2, float eps, float step_size) {
  for (int64_t i = begin; i < end; ++i) {
    const float gi = g[i];
    const float mi = m[i] * b1 + gi * (1.0f - b1);
    const float vi = v[i] * b2 + gi * gi * (1.0f - b2);
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * decay - step_size * (mi / (std::sqrt(vi) / sqrt_bc2 + eps));
  }
}

// --- causal softmax ---

// Row r is query r % T; it sees the first min(S, r % T + 1 + S - T) keys.
inline int64_t visible_keys(int64_t r, int64_t T, int64_t S) { return std::min(S, r % T + 1 + (S - T)); }

DATAFLEX_KERNEL void causal_softmax_rows(const float* s, float* p, int64_t begin, int64_t end, int64_t T, int64_t S,
                                         float scale) {
  for (int64_t r = begin; r < end; ++r) {
    const float* sr = s + r * S;
    float* pr = p + r * S;
    const int64_t n = visible_keys(r, T, S);
    float top = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : top)
    for (int64_t j = 0; j < n; ++j) top = std::max(top, sr[j] * scale);
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < n; ++j) {
      pr[j] = exp_approx(sr[j] * scale - top);
      sum += pr[j];
    }
    const float inv = 1.0f / sum;
    for (int64_t j = 0; j < n; ++j) pr[j] *= inv;
    for (int64_t j = n; j < S; ++j) pr[j] = 0.0f;
  }
}

// d scores = scale * p * (dp - sum(p * dp)) over the visible keys; 0 elsewhere.
DATAFLEX_KERNEL void causal_softmax_backward_rows(const float* p, const float* dp, float* ds, int64_t begin,
                                                  int64_t end, int64_t T, int64_t S, float scale) {
  for (int64_t r = begin; r < end; ++r) {
    const float* pr = p + r * S;
    const float* dpr = dp + r * S;
    float* dsr = ds + r * S;
    const int64_t n = visible_keys(r, T, S);
    float dot = 0;
#pragma omp simd reduction(+ : dot)
    for (int64_t j = 0; j < n; ++j) dot += pr[j] * dpr[j];
    for (int64_t j = 0; j < n; ++j) dsr[j] = scale * pr[j] * (dpr[j] - dot);
    for (int64_t j = n; j < S; ++j) dsr[j] = 0.0f;
  }
}

struct CausalSoftmaxFunction : torch::autograd::Function<CausalSoftmaxFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& scores_in, double scale) {
    const at::Tensor scores = scores_in.contiguous();
    const int64_t S = scores.size(-1), T = scores.size(-2), rows = scores.numel() / S;
    at::Tensor p = at::empty_like(scores);
    const float* sp = scores.data_ptr<float>();
    float* pp = p.data_ptr<float>();
    at::parallel_for(0, rows, kRowGrain,
                     [&](int64_t b, int64_t e) { causal_softmax_rows(sp, pp, b, e, T, S, static_cast<float>(scale)); });
    ctx->save_for_backward({p});
    ctx->saved_data["scale"] = scale;
    return p;
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const at::Tensor p = ctx->get_saved_variables()[0];
    const at::Tensor dp = grads[0].contiguous();
    const double scale = ctx->saved_data["scale"].toDouble();
    const int64_t S = p.size(-1), T = p.size(-2), rows = p.numel() / S;
    at::Tensor ds = at::empty_like(p);
    const float *pp = p.data_ptr<float>(), *dpp = dp.data_ptr<float>();
    float* dsp = ds.data_ptr<float>();
    at::parallel_for(0, rows, kRowGrain, [&](int64_t b, int64_t e) {
      causal_softmax_backward_rows(pp, dpp, dsp, b, e, T, S, static_cast<float>(scale));
    });
    return {ds, at::Tensor()};
  }
};

// --- linears stored side by side ---

// Rows [offset, offset + rows) of the matrix that begins where `first` does and continues through the
// adjacent parameters (stored_adjacent): no copy.
at::Tensor adjacent_rows(const at::Tensor& first, int64_t rows) {
  std::vector<int64_t> size = first.sizes().vec();
  size[0] = rows;
  return first.as_strided(size, first.strides(), first.storage_offset());
}

int64_t total_rows(at::TensorList parts) {
  int64_t n = 0;
  for (const at::Tensor& p : parts) n += p.size(0);
  return n;
}

// y = x W^T + b with W the weights' rows one after another, b the biases': one GEMM forward, one each for
// the input's and the weights' gradients backward; each weight (bias) gets its rows of the gradient.
struct AdjacentLinearFunction : torch::autograd::Function<AdjacentLinearFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, at::TensorList weights, at::TensorList biases) {
    const int64_t n = total_rows(weights);
    const at::Tensor w = adjacent_rows(weights[0], n);
    const at::Tensor b = biases.empty() ? at::Tensor() : adjacent_rows(biases[0], n);
    std::vector<at::Tensor> saved{x};
    saved.insert(saved.end(), weights.begin(), weights.end());
    ctx->save_for_backward(saved);
    ctx->saved_data["biases"] = static_cast<int64_t>(biases.size());
    return at::linear(x, w, b.defined() ? c10::optional<at::Tensor>(b) : c10::nullopt);
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    const std::vector<at::Tensor> weights(saved.begin() + 1, saved.end());
    const auto num_biases = static_cast<std::size_t>(ctx->saved_data["biases"].toInt());
    const int64_t n = total_rows(weights), in = x.size(-1);
    const at::Tensor dy = grads[0].reshape({-1, n});
    tensor_list out(1 + weights.size() + num_biases);
    if (ctx->needs_input_grad(0)) out[0] = at::matmul(grads[0], adjacent_rows(weights[0], n));
    bool any_weight = false, any_bias = false;
    for (std::size_t i = 0; i < weights.size(); ++i) any_weight = any_weight || ctx->needs_input_grad(1 + i);
    for (std::size_t i = 0; i < num_biases; ++i) any_bias = any_bias || ctx->needs_input_grad(1 + weights.size() + i);
    const at::Tensor dw = any_weight ? dy.t().mm(x.reshape({-1, in})) : at::Tensor();
    const at::Tensor db = any_bias ? dy.sum(0) : at::Tensor();
    int64_t row = 0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      const int64_t rows = weights[i].size(0);
      if (dw.defined() && ctx->needs_input_grad(1 + i)) out[1 + i] = dw.narrow(0, row, rows);
      if (db.defined() && i < num_biases && ctx->needs_input_grad(1 + weights.size() + i))
        out[1 + weights.size() + i] = db.narrow(0, row, rows);
      row += rows;
    }
    return out;
  }
};

}  // namespace

bool fusable(const at::Tensor& t) { return t.scalar_type() == at::kFloat && t.device().is_cpu(); }

at::Tensor fused_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  return RmsNormFunction::apply(x, weight, eps);
}

at::Tensor fused_silu_mul(const at::Tensor& gate, const at::Tensor& up) { return SiluMulFunction::apply(gate, up); }

at::Tensor fused_silu_mul_packed(const at::Tensor& gate_up) { return PackedSiluMulFunction::apply(gate_up); }

bool stored_adjacent(at::TensorList parts) {
  if (parts.empty() || !parts[0].defined()) return false;
  const at::Tensor& first = parts[0];
  int64_t offset = first.storage_offset();
  for (const at::Tensor& p : parts) {
    if (!p.defined() || !p.is_contiguous() || p.dim() != first.dim() || p.scalar_type() != first.scalar_type() ||
        p.device() != first.device() || !p.storage().is_alias_of(first.storage()) || p.storage_offset() != offset)
      return false;
    for (int64_t d = 1; d < p.dim(); ++d)
      if (p.size(d) != first.size(d)) return false;
    offset += p.numel();
  }
  return true;
}

at::Tensor adjacent_linear(const at::Tensor& x, at::TensorList weights, at::TensorList biases) {
  return AdjacentLinearFunction::apply(x, weights, biases);
}

bool adamw_fusable(const at::Tensor& p, const at::Tensor& g, const at::Tensor& m, const at::Tensor& v) {
  for (const at::Tensor* t : {&p, &g, &m, &v})
    if (!t->defined() || !fusable(*t) || !t->is_contiguous() || t->numel() != p.numel()) return false;
  return true;
}

void fused_adamw_update(const at::Tensor& p, const at::Tensor& g, const at::Tensor& m, const at::Tensor& v,
                        const AdamWStep& s) {
  float* pp = p.data_ptr<float>();
  const float* gp = g.data_ptr<float>();
  float *mp = m.data_ptr<float>(), *vp = v.data_ptr<float>();
  const float decay = static_cast<float>(1.0 - s.lr * s.weight_decay);
  const float sqrt_bc2 = static_cast<float>(std::sqrt(1.0 - std::pow(s.beta2, static_cast<double>(s.step))));
  const float step_size = static_cast<float>(s.lr / (1.0 - std::pow(s.beta1, static_cast<double>(s.step))));
  at::parallel_for(0, p.numel(), kElementGrain, [&](int64_t b, int64_t e) {
    adamw_range(pp, gp, mp, vp, b, e, decay, static_cast<float>(s.beta1), static_cast<float>(s.beta2), sqrt_bc2,
                static_cast<float>(s.eps), step_size);
  });
}

bool rope_fusable(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  return fusable(x) && x.dim() == 4 && x.size(3) % 2 == 0 && fusable(cos) && fusable(sin) && cos.dim() == 2 &&
         cos.sizes() == sin.sizes() && cos.size(0) == x.size(1) && cos.size(1) == x.size(3);
}

at::Tensor fused_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  return RopeFunction::apply(x, cos, sin);
}

at::Tensor fused_causal_softmax(const at::Tensor& scores, double scale) {
  return CausalSoftmaxFunction::apply(scores, scale);
}

}  // namespace dataflex
