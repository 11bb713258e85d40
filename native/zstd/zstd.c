/*
 * Zstandard for Tributary, as a Node-API addon over the system libzstd (Debian: libzstd-dev).
 * Loaded by src/format/compression/zstd.ts; scripts/install.sh builds it with npm's node-gyp.
 *
 *   compress(bytes, level[, contentSize = true])
 *                               -> Buffer: one zstd frame (ZSTD_compress2, no checksum), `level` in
 *                                  [ZSTD_minCLevel, ZSTD_maxCLevel]; with contentSize false the
 *                                  header omits the content size, as Kafka clients' frames do
 *   decompress(bytes, maxBytes) -> Buffer: every frame in `bytes` (zstd frames and skippable
 *                                  frames, back to back, as ZSTD_decompress and zstd-jni's
 *                                  ZstdInputStream read them), never more than `maxBytes` out
 *   version                     -> the libzstd version string this addon runs against
 *
 * Errors are thrown as Error objects whose `code` is
 *   ERR_ZSTD_LIMIT    the content would exceed maxBytes (the decompression-bomb guard),
 *   ERR_ZSTD_CORRUPT  the input is not whole, valid zstd frames (message: libzstd's error name),
 *   ERR_ZSTD_ARG      a bad argument (the TypeScript side never passes one),
 *   ERR_ZSTD_NOMEM    an allocation failed;
 * the TypeScript side turns them into TributaryErrors.
 *
 * Decompression streams (ZSTD_decompressStream) into a growing per-thread scratch buffer, so a
 * frame without a content size (Kafka's Java producer and librdkafka write none: they compress
 * as a stream) is inflated with a bound: output stops at `maxBytes`, and one more byte of
 * output means ERR_ZSTD_LIMIT. A frame that declares its content size is checked against the
 * bound before anything is allocated; a single such frame is inflated straight into its result.
 * The decoder keeps libzstd's default window limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT, 128 MiB):
 * window memory is only touched as output is written, which the bound stops.
 *
 * Concurrency: Node loads one copy of this library per process but runs one environment per
 * worker thread; each environment has its own contexts and scratch buffer (instance data), so
 * calls on different threads share nothing. Calls are synchronous and never re-entered.
 */
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* Scratch kept between calls up to this size; a larger one (one huge batch) is freed after use. */
#define SCRATCH_KEEP_BYTES (8u << 20)
#define SCRATCH_START_BYTES (256u << 10)

typedef struct {
  ZSTD_CCtx *cctx;
  ZSTD_DCtx *dctx;
  uint8_t *scratch;
  size_t scratch_cap;
} zstd_env;

static void env_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  zstd_env *z = data;
  ZSTD_freeCCtx(z->cctx);
  ZSTD_freeDCtx(z->dctx);
  free(z->scratch);
  free(z);
}

static zstd_env *env_get(napi_env env) {
  void *data = NULL;
  if (napi_get_instance_data(env, &data) != napi_ok) return NULL;
  return data;
}

static napi_value fail(napi_env env, const char *code, const char *msg) {
  napi_throw_error(env, code, msg);
  return NULL;
}

/* The bytes of a Uint8Array (a Buffer is one) argument. */
static int bytes_arg(napi_env env, napi_value v, const uint8_t **data, size_t *len) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  void *p = NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &p, &ab, &offset) != napi_ok || type != napi_uint8_array) return 0;
  *data = p;
  return 1;
}

static int number_arg(napi_env env, napi_value v, double *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return 0;
  return napi_get_value_double(env, v, out) == napi_ok;
}

/* A new Buffer holding a copy of [p, p + n). */
static napi_value buffer_copy(napi_env env, const uint8_t *p, size_t n) {
  napi_value out;
  void *dst;
  if (napi_create_buffer_copy(env, n, p, &dst, &out) != napi_ok) return fail(env, "ERR_ZSTD_NOMEM", "zstd: cannot allocate the result buffer");
  return out;
}

/* Makes the scratch buffer at least `need` bytes, keeping its first `keep` bytes. */
static int scratch_grow(zstd_env *z, size_t need, size_t keep) {
  if (need <= z->scratch_cap) return 1;
  uint8_t *p = malloc(need);
  if (!p) return 0;
  if (keep) memcpy(p, z->scratch, keep);
  free(z->scratch);
  z->scratch = p;
  z->scratch_cap = need;
  return 1;
}

static void scratch_trim(zstd_env *z) {
  if (z->scratch_cap <= SCRATCH_KEEP_BYTES) return;
  free(z->scratch);
  z->scratch = NULL;
  z->scratch_cap = 0;
}

static napi_value compress(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  const uint8_t *src;
  size_t len;
  double level;
  bool content_size = true;
  if (argc < 2 || !bytes_arg(env, argv[0], &src, &len) || !number_arg(env, argv[1], &level) ||
      (argc >= 3 && napi_get_value_bool(env, argv[2], &content_size) != napi_ok)) {
    return fail(env, "ERR_ZSTD_ARG", "compress(bytes: Uint8Array, level: number, contentSize?: boolean)");
  }
  if (level != (double)(int)level || level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()) {
    return fail(env, "ERR_ZSTD_ARG", "zstd: compression level out of range");
  }
  zstd_env *z = env_get(env);
  if (!z) return fail(env, "ERR_ZSTD_NOMEM", "zstd: no context");
  size_t bound = ZSTD_compressBound(len);
  if (!scratch_grow(z, bound, 0)) return fail(env, "ERR_ZSTD_NOMEM", "zstd: cannot allocate the output buffer");
  ZSTD_CCtx_reset(z->cctx, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, (int)level);
  ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_contentSizeFlag, content_size ? 1 : 0);
  size_t n = ZSTD_compress2(z->cctx, z->scratch, bound, src, len);
  if (ZSTD_isError(n)) {
    scratch_trim(z);
    return fail(env, "ERR_ZSTD_CORRUPT", ZSTD_getErrorName(n));
  }
  napi_value out = buffer_copy(env, z->scratch, n);
  scratch_trim(z);
  return out;
}

/* Streams every frame of `in` into the scratch buffer, at most `max` bytes; NULL after a throw. */
static napi_value decompress_stream(napi_env env, zstd_env *z, ZSTD_inBuffer *in, size_t max) {
  size_t start = in->size * 4 > SCRATCH_START_BYTES ? in->size * 4 : SCRATCH_START_BYTES;
  if (start > max) start = max;
  if (!scratch_grow(z, start, 0)) return fail(env, "ERR_ZSTD_NOMEM", "zstd: cannot allocate the output buffer");
  ZSTD_outBuffer out = {z->scratch, z->scratch_cap < max ? z->scratch_cap : max, 0};
  for (;;) {
    if (out.pos == out.size) {
      if (out.size == max) break; /* full at the bound: probe below */
      size_t next = out.size * 2 > max ? max : out.size * 2;
      if (!scratch_grow(z, next, out.pos)) return fail(env, "ERR_ZSTD_NOMEM", "zstd: cannot allocate the output buffer");
      out.dst = z->scratch;
      out.size = next;
    }
    size_t r = ZSTD_decompressStream(z->dctx, &out, in);
    if (ZSTD_isError(r)) return fail(env, "ERR_ZSTD_CORRUPT", ZSTD_getErrorName(r));
    if (in->pos == in->size) {
      if (r == 0) return buffer_copy(env, z->scratch, out.pos); /* the last frame ended with the input */
      if (out.pos < out.size) return fail(env, "ERR_ZSTD_CORRUPT", "truncated frame");
    }
  }
  /*
   * `max` bytes are out. The input may still hold a frame epilogue (checksum), skippable frames
   * or an empty frame: decode on into one spare byte; producing it means the bound is passed.
   */
  for (;;) {
    uint8_t spare;
    ZSTD_outBuffer probe = {&spare, 1, 0};
    size_t before = in->pos;
    size_t r = ZSTD_decompressStream(z->dctx, &probe, in);
    if (ZSTD_isError(r)) return fail(env, "ERR_ZSTD_CORRUPT", ZSTD_getErrorName(r));
    if (probe.pos > 0) return fail(env, "ERR_ZSTD_LIMIT", "zstd data inflates beyond the limit");
    if (in->pos == in->size) {
      if (r == 0) return buffer_copy(env, z->scratch, out.pos);
      return fail(env, "ERR_ZSTD_CORRUPT", "truncated frame");
    }
    if (in->pos == before) return fail(env, "ERR_ZSTD_CORRUPT", "the decoder made no progress");
  }
}

static napi_value decompress(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  const uint8_t *src;
  size_t len;
  double maxd;
  if (argc < 2 || !bytes_arg(env, argv[0], &src, &len) || !number_arg(env, argv[1], &maxd) || maxd < 0 || maxd > 9007199254740991.0) {
    return fail(env, "ERR_ZSTD_ARG", "decompress(bytes: Uint8Array, maxBytes: number)");
  }
  size_t max = (size_t)maxd;
  zstd_env *z = env_get(env);
  if (!z) return fail(env, "ERR_ZSTD_NOMEM", "zstd: no context");
  ZSTD_DCtx_reset(z->dctx, ZSTD_reset_session_only);

  unsigned long long declared = ZSTD_getFrameContentSize(src, len);
  if (declared == ZSTD_CONTENTSIZE_ERROR) return fail(env, "ERR_ZSTD_CORRUPT", "not a zstd frame");
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN) {
    if (declared > max) return fail(env, "ERR_ZSTD_LIMIT", "zstd frame declares a content size beyond the limit");
    /* One frame that fills the input: inflate straight into the result. libzstd checks that
       the frame decodes to exactly its declared size. */
    if (ZSTD_findFrameCompressedSize(src, len) == len) {
      napi_value out;
      void *dst;
      if (napi_create_buffer(env, (size_t)declared, &dst, &out) != napi_ok) return fail(env, "ERR_ZSTD_NOMEM", "zstd: cannot allocate the result buffer");
      size_t n = ZSTD_decompressDCtx(z->dctx, dst, (size_t)declared, src, len);
      if (ZSTD_isError(n)) return fail(env, "ERR_ZSTD_CORRUPT", ZSTD_getErrorName(n));
      if (n != declared) return fail(env, "ERR_ZSTD_CORRUPT", "frame content size mismatch");
      return out;
    }
  }
  ZSTD_inBuffer in = {src, len, 0};
  napi_value out = decompress_stream(env, z, &in, max);
  scratch_trim(z);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  zstd_env *z = calloc(1, sizeof *z);
  if (!z) return exports;
  z->cctx = ZSTD_createCCtx();
  z->dctx = ZSTD_createDCtx();
  if (!z->cctx || !z->dctx || napi_set_instance_data(env, z, env_free, NULL) != napi_ok) {
    env_free(env, z, NULL);
    return exports; /* exports nothing: the TypeScript side sees no addon */
  }
  napi_value fn, version;
  if (napi_create_function(env, "compress", NAPI_AUTO_LENGTH, compress, NULL, &fn) == napi_ok) napi_set_named_property(env, exports, "compress", fn);
  if (napi_create_function(env, "decompress", NAPI_AUTO_LENGTH, decompress, NULL, &fn) == napi_ok) napi_set_named_property(env, exports, "decompress", fn);
  if (napi_create_string_utf8(env, ZSTD_versionString(), NAPI_AUTO_LENGTH, &version) == napi_ok) napi_set_named_property(env, exports, "version", version);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
