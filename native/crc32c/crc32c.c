/*
 * CRC-32C (Castagnoli) for Tributary, as a Node-API addon: the CPU's CRC32 instruction on
 * three interleaved streams.
 *
 * The CRC32 instruction has a latency of 3 cycles and a throughput of 1 per cycle, so one
 * dependent chain of _mm_crc32_u64 uses a third of what the core can do. Long inputs are
 * therefore cut into blocks of 3 x L bytes, each lane's register is computed independently
 * (lanes 2 and 3 starting from 0), and the three are combined:
 *
 *     reg(r, A || B || C) = shift_L(shift_L(reg(r, A)) ^ reg(0, B)) ^ reg(0, C)
 *
 * where shift_L(x) is the register after feeding L zero bytes to register x. shift_L is
 * linear over GF(2), so it is a 32 x 32 bit matrix, applied here as four 256-entry tables
 * (one per byte of x) computed once at load from the instruction itself. L = 8 KiB, then
 * 256 B for what is left, then one chain for the tail.
 *
 * `calculate(buf, initial)` follows sse4_crc32's contract: `initial` is the CRC of the bytes
 * before (0 for none), the result the CRC of all of them, both unsigned and conditioned
 * (~register). Without SSE 4.2 (or off x86-64) the module exports nothing and
 * src/format/crc32c.ts falls back to another implementation.
 */
#include <node_api.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#define TRIBUTARY_CRC_HW 1
#include <nmmintrin.h>
#endif

#ifdef TRIBUTARY_CRC_HW

#define LONG_BLOCK 8192
#define SHORT_BLOCK 256

static uint32_t long_shift[4][256];
static uint32_t short_shift[4][256];

__attribute__((target("sse4.2"))) static uint32_t after_zeros(uint32_t reg, size_t n) {
  while (n >= 8) {
    reg = (uint32_t)_mm_crc32_u64(reg, 0);
    n -= 8;
  }
  while (n-- > 0) reg = _mm_crc32_u8(reg, 0);
  return reg;
}

static void make_shift(uint32_t tab[4][256], size_t n) {
  uint32_t basis[32];
  for (int b = 0; b < 32; b++) basis[b] = after_zeros(1u << b, n);
  for (int k = 0; k < 4; k++) {
    for (int v = 0; v < 256; v++) {
      uint32_t r = 0;
      for (int b = 0; b < 8; b++)
        if (v & (1 << b)) r ^= basis[8 * k + b];
      tab[k][v] = r;
    }
  }
}

static inline uint32_t shift(const uint32_t tab[4][256], uint32_t reg) {
  return tab[0][reg & 0xff] ^ tab[1][(reg >> 8) & 0xff] ^ tab[2][(reg >> 16) & 0xff] ^ tab[3][reg >> 24];
}

static inline uint64_t load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* Three lanes of `block` bytes while at least 3 * block remain. */
#define THREE_WAY(block, tab)                                  \
  while (len >= 3 * (block)) {                                 \
    uint64_t c0 = reg, c1 = 0, c2 = 0;                         \
    const uint8_t *end = p + (block);                          \
    do {                                                       \
      c0 = _mm_crc32_u64(c0, load64(p));                       \
      c1 = _mm_crc32_u64(c1, load64(p + (block)));             \
      c2 = _mm_crc32_u64(c2, load64(p + 2 * (block)));         \
      p += 8;                                                  \
    } while (p < end);                                         \
    reg = shift(tab, (uint32_t)c0) ^ (uint32_t)c1;             \
    reg = shift(tab, reg) ^ (uint32_t)c2;                      \
    p += 2 * (block);                                          \
    len -= 3 * (block);                                        \
  }

__attribute__((target("sse4.2"))) static uint32_t crc_register(uint32_t reg, const uint8_t *p, size_t len) {
  while (len > 0 && ((uintptr_t)p & 7) != 0) {
    reg = _mm_crc32_u8(reg, *p++);
    len--;
  }
  THREE_WAY(LONG_BLOCK, long_shift)
  THREE_WAY(SHORT_BLOCK, short_shift)
  while (len >= 8) {
    reg = (uint32_t)_mm_crc32_u64(reg, load64(p));
    p += 8;
    len -= 8;
  }
  while (len-- > 0) reg = _mm_crc32_u8(reg, *p++);
  return reg;
}

static napi_value calculate(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "calculate(buffer, initial): a Buffer or Uint8Array is required");
    return NULL;
  }
  void *data = NULL;
  size_t len = 0;
  bool is_typed = false;
  napi_is_typedarray(env, argv[0], &is_typed);
  if (is_typed) {
    napi_typedarray_type type;
    size_t length;
    napi_value ab;
    size_t offset;
    if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, &ab, &offset) != napi_ok || type != napi_uint8_array) {
      napi_throw_type_error(env, NULL, "calculate: expected a Uint8Array");
      return NULL;
    }
    len = length;
  } else {
    napi_throw_type_error(env, NULL, "calculate: expected a Buffer or Uint8Array");
    return NULL;
  }
  uint32_t initial = 0;
  if (argc >= 2) {
    napi_valuetype t;
    napi_typeof(env, argv[1], &t);
    if (t == napi_number) {
      double d;
      napi_get_value_double(env, argv[1], &d);
      initial = (uint32_t)(int64_t)d;
    }
  }
  uint32_t crc = ~crc_register(~initial, (const uint8_t *)data, len);
  napi_value out;
  napi_create_uint32(env, crc, &out);
  return out;
}

#endif

static napi_value init(napi_env env, napi_value exports) {
#ifdef TRIBUTARY_CRC_HW
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("sse4.2")) return exports;
  make_shift(long_shift, LONG_BLOCK);
  make_shift(short_shift, SHORT_BLOCK);
  napi_value fn;
  if (napi_create_function(env, "calculate", NAPI_AUTO_LENGTH, calculate, NULL, &fn) != napi_ok) return exports;
  napi_set_named_property(env, exports, "calculate", fn);
#endif
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
