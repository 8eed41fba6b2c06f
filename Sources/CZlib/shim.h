#ifndef AMPSCOPE_CZLIB_SHIM_H
#define AMPSCOPE_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit2 is a macro; Swift cannot call it directly. 15 + 32 = detect gzip or zlib header. */
static inline int ampscope_inflate_init(z_streamp strm) {
    return inflateInit2(strm, 15 + 32);
}
/* Raw deflate (no header), for Content-Encoding: deflate senders that omit the zlib wrapper. */
static inline int ampscope_inflate_init_raw(z_streamp strm) {
    return inflateInit2(strm, -15);
}
/* gzip writer for exports and tests: windowBits 15 + 16 = gzip wrapper. */
static inline int ampscope_deflate_init_gzip(z_streamp strm, int level) {
    return deflateInit2(strm, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
#endif
