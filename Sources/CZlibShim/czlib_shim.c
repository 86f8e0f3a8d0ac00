#include "czlib_shim.h"

#include <stdlib.h>
#include <zlib.h>

uint8_t *pmx_gzip(const uint8_t *input, size_t length, size_t *out_length) {
    z_stream stream = {0};
    // 15 window bits + 16: a gzip header and trailer instead of zlib's.
    if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        return NULL;
    }
    uLong bound = deflateBound(&stream, (uLong)length);
    uint8_t *output = malloc(bound);
    if (output == NULL) {
        deflateEnd(&stream);
        return NULL;
    }
    stream.next_in = (Bytef *)input;
    stream.avail_in = (uInt)length;
    stream.next_out = output;
    stream.avail_out = (uInt)bound;
    // deflateBound leaves room for the whole answer, so one call finishes the stream.
    if (deflate(&stream, Z_FINISH) != Z_STREAM_END) {
        deflateEnd(&stream);
        free(output);
        return NULL;
    }
    *out_length = stream.total_out;
    deflateEnd(&stream);
    return output;
}
