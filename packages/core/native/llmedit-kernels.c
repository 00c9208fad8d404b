/*
 * llmedit's elementwise kernels for the native path (float32, contiguous), built on the user's machine by
 * scripts/build-native.mjs with the system C compiler and loaded through koffi. The loops are written so
 * that the compiler vectorises them (AVX2/AVX-512 with -march=native): no calls into libm inside them.
 *
 * exp: Cody-Waite range reduction x = n ln2 + r, |r| <= ln2/2, and the degree-6 minimax polynomial of the
 *      Cephes expf (S. L. Moshier, Cephes Math Library); about 1 ulp for normal results, overflow to
 *      infinity and gradual underflow as IEEE rounding gives them.
 * softmax cross-entropy per row: nll = logsumexp(z) - z[label], and its gradient
 *      d nll / dz = softmax(z) - onehot(label) (e.g. Goodfellow et al., Deep Learning, eq. 6.30 and 6.3.2.1).
 * sums over a block of axes: out[o, i] = scale * sum_r x[o, r, i], in a fixed order whatever the threads (a
 *      BLAS sgemv with a ones vector splits the sum across its threads, so results changed with the count).
 * layer norm (Ba et al. 2016, eq. 4; the affine form of GPT-2): y = (x - mu) * rstd * g + b per row,
 *      rstd = 1 / sqrt(var + eps); its gradient dx = rstd (dy g - mean(dy g) - xhat mean(dy g xhat)),
 *      dg = sum over rows of dy xhat (db, the sum of dy over rows, is a plain reduction).
 * GELU (tanh form, Hendrycks & Gimpel 2016, eq. for the tanh approximation) as x * sigmoid(2u),
 *      u = sqrt(2/pi) (x + 0.044715 x^3), an exact identity; its derivative
 *      s + x s (1 - s) 2u', s = sigmoid(2u), u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2).
 */
#include <stdint.h>
#include <string.h>

#define LLM_EXPORT __attribute__((visibility("default")))

/* Kept in step with native-kernels.ts, which refuses a library of another version. */
LLM_EXPORT int llm_kernels_version(void) { return 5; }

static inline float llm_pow2i(int32_t k) { /* 2^k for k in [-126, 127] */
  int32_t bits = (k + 127) << 23;
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

static inline float llm_expf(float x) {
  /* Clamped only so that n fits the exponent arithmetic below (exp overflows above 88.72 and is 0 below
     -103.98 anyway). NaN fails both comparisons and so passes through to the result. */
  float c = x > 90.0f ? 90.0f : x;
  c = c < -110.0f ? -110.0f : c;
  float n = __builtin_floorf(c * 1.44269504088896341f + 0.5f);
  float r = c - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  /* 2^n as 2^a * 2^b with both halves normal, so that overflow to infinity and gradual underflow into the
     subnormals happen in the last multiplication, as for the exact value. */
  int32_t k = (int32_t)n;
  int32_t a = k / 2;
  return p * llm_pow2i(a) * llm_pow2i(k - a);
}

LLM_EXPORT void llm_exp(const float *restrict x, float *restrict y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = llm_expf(x[i]);
}

#define GELU_C 0.7978845608028654f /* sqrt(2/pi) */
#define GELU_A 0.044715f

LLM_EXPORT void llm_gelu_tanh(const float *restrict x, float *restrict y, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    float v = x[i];
    float u = GELU_C * (v + GELU_A * v * v * v);
    y[i] = v / (1.0f + llm_expf(-2.0f * u));
  }
}

LLM_EXPORT void llm_gelu_tanh_grad(const float *restrict x, const float *restrict dy, float *restrict dx,
                                   int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    float v = x[i];
    float u = GELU_C * (v + GELU_A * v * v * v);
    float s = 1.0f / (1.0f + llm_expf(-2.0f * u));
    float du = 2.0f * GELU_C * (1.0f + 3.0f * GELU_A * v * v);
    dx[i] = dy[i] * (s + v * s * (1.0f - s) * du);
  }
}

#define LANES 16

/* Per row r of logits [rows, vocab] with labels[r] in [0, vocab): lse[r] = log sum_j exp(z_rj) and
   nll[r] = lse[r] - z_r,label. A negative label marks a row that is not scored: nll 0, lse still written. */
LLM_EXPORT void llm_softmax_xent(const float *restrict logits, const int32_t *restrict labels,
                                 float *restrict nll, float *restrict lse, int64_t rows, int64_t vocab) {
  for (int64_t r = 0; r < rows; r++) {
    const float *z = logits + r * vocab;
    /* LANES partial maxima and sums, so that the loops vectorise without reassociating float sums. */
    float lane[LANES];
    for (int k = 0; k < LANES; k++) lane[k] = z[0];
    int64_t j = 0;
    for (; j + LANES <= vocab; j += LANES)
      for (int k = 0; k < LANES; k++) {
        float v = z[j + k], m = lane[k];
        lane[k] = m < v ? v : m;
      }
    float max = lane[0];
    for (int k = 1; k < LANES; k++) max = lane[k] > max ? lane[k] : max;
    for (; j < vocab; j++) max = z[j] > max ? z[j] : max;
    for (int k = 0; k < LANES; k++) lane[k] = 0.0f;
    for (j = 0; j + LANES <= vocab; j += LANES)
      for (int k = 0; k < LANES; k++) lane[k] += llm_expf(z[j + k] - max);
    float sum = 0.0f;
    for (int k = 0; k < LANES; k++) sum += lane[k];
    for (; j < vocab; j++) sum += llm_expf(z[j] - max);
    float l = max + __builtin_logf(sum);
    lse[r] = l;
    nll[r] = labels[r] >= 0 ? l - z[labels[r]] : 0.0f;
  }
}

/* dlogits[r, j] = dnll[r] * (exp(z_rj - lse[r]) - [j == label]); rows with a negative label get 0. */
LLM_EXPORT void llm_softmax_xent_grad(const float *restrict logits, const int32_t *restrict labels,
                                      const float *restrict lse, const float *restrict dnll,
                                      float *restrict dlogits, int64_t rows, int64_t vocab) {
  for (int64_t r = 0; r < rows; r++) {
    const float *z = logits + r * vocab;
    float *d = dlogits + r * vocab;
    if (labels[r] < 0) {
      memset(d, 0, (size_t)vocab * sizeof *d);
      continue;
    }
    const float g = dnll[r], l = lse[r];
    for (int64_t j = 0; j < vocab; j++) d[j] = g * llm_expf(z[j] - l);
    d[labels[r]] -= g;
  }
}

/* sum of x[0..n) in LANES partial sums, so that the loop vectorises without reassociating float sums. */
static inline float llm_sum(const float *restrict x, int64_t n) {
  float lane[LANES] = {0};
  int64_t j = 0;
  for (; j + LANES <= n; j += LANES)
    for (int k = 0; k < LANES; k++) lane[k] += x[j + k];
  float sum = 0.0f;
  for (int k = 0; k < LANES; k++) sum += lane[k];
  for (; j < n; j++) sum += x[j];
  return sum;
}

/* out[o, i] = scale * sum over r of x[o, r, i], for x viewed as [outer, reduce, inner]. */
LLM_EXPORT void llm_reduce_sum(const float *restrict x, float *restrict out, int64_t outer, int64_t reduce,
                               int64_t inner, float scale) {
  for (int64_t o = 0; o < outer; o++) {
    const float *block = x + o * reduce * inner;
    if (inner == 1) {
      out[o] = llm_sum(block, reduce) * scale;
      continue;
    }
    float *dst = out + o * inner;
    memset(dst, 0, (size_t)inner * sizeof *dst);
    for (int64_t r = 0; r < reduce; r++)
      for (int64_t i = 0; i < inner; i++) dst[i] += block[r * inner + i];
    if (scale != 1.0f)
      for (int64_t i = 0; i < inner; i++) dst[i] *= scale;
  }
}

/* Per row of x [rows, d]: mean[r], rstd[r] and y = (x - mean) * rstd * g + b. Two passes (mean, then the
   centred squares) as the composed ops do, not the one-pass E[x^2] - E[x]^2 that cancels badly. */
LLM_EXPORT void llm_layer_norm(const float *restrict x, const float *restrict g, const float *restrict b, float eps,
                               float *restrict y, float *restrict mean, float *restrict rstd, int64_t rows,
                               int64_t d) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * d;
    float *yr = y + r * d;
    const float mu = llm_sum(xr, d) / (float)d;
    float lane[LANES] = {0};
    int64_t j;
    for (j = 0; j + LANES <= d; j += LANES)
      for (int k = 0; k < LANES; k++) lane[k] += (xr[j + k] - mu) * (xr[j + k] - mu);
    float squares = 0.0f;
    for (int k = 0; k < LANES; k++) squares += lane[k];
    for (; j < d; j++) squares += (xr[j] - mu) * (xr[j] - mu);
    const float rs = 1.0f / __builtin_sqrtf(squares / (float)d + eps);
    mean[r] = mu;
    rstd[r] = rs;
    for (j = 0; j < d; j++) yr[j] = (xr[j] - mu) * rs * g[j] + b[j];
  }
}

/* The gradient of llm_layer_norm given dy, into whichever of dx [rows, d] and dg [d] is not NULL. */
LLM_EXPORT void llm_layer_norm_grad(const float *restrict x, const float *restrict g, const float *restrict mean,
                                    const float *restrict rstd, const float *restrict dy, float *restrict dx,
                                    float *restrict dg, int64_t rows, int64_t d) {
  if (dg) memset(dg, 0, (size_t)d * sizeof *dg);
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * d, *dyr = dy + r * d;
    const float mu = mean[r], rs = rstd[r];
    if (dg)
      for (int64_t j = 0; j < d; j++) dg[j] += dyr[j] * ((xr[j] - mu) * rs);
    if (!dx) continue;
    float *dxr = dx + r * d;
    float a = 0.0f, c = 0.0f; /* sums of dy g and of dy g xhat over the row */
    for (int64_t j = 0; j < d; j++) {
      const float dyg = dyr[j] * g[j];
      a += dyg;
      c += dyg * ((xr[j] - mu) * rs);
    }
    a /= (float)d;
    c /= (float)d;
    for (int64_t j = 0; j < d; j++) dxr[j] = rs * (dyr[j] * g[j] - a - (xr[j] - mu) * rs * c);
  }
}
