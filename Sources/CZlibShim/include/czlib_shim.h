#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H

#include <stddef.h>
#include <stdint.h>

/// Compresses `length` bytes at `input` into a gzip member at zlib's default level: pveproxy calls
/// Perl's Compress::Zlib::memGzip, which in current releases goes through IO::Compress::Gzip and
/// its default level (releases before 2.0 asked for level 9). Returns a malloc'd buffer the
/// caller frees and sets `*out_length`, or NULL when zlib fails (out of memory).
uint8_t *pmx_gzip(const uint8_t *input, size_t length, size_t *out_length);

#endif
