
/*
 * CRC-32 (IEEE 802.3, reflected, as zlib.crc32), slicing by 8 so that
 * checking a large model at config load costs well under a second.
 */

#include "mlp.h"


static uint32_t  mlp_crc_table[8][256];
static int       mlp_crc_ready;


static void
mlp_crc32_init(void)
{
    uint32_t  i, j, c;

    for (i = 0; i < 256; i++) {
        c = i;

        for (j = 0; j < 8; j++) {
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        }

        mlp_crc_table[0][i] = c;
    }

    for (i = 0; i < 256; i++) {
        c = mlp_crc_table[0][i];

        for (j = 1; j < 8; j++) {
            c = mlp_crc_table[0][c & 0xff] ^ (c >> 8);
            mlp_crc_table[j][i] = c;
        }
    }

    mlp_crc_ready = 1;
}


uint32_t
mlp_crc32(uint32_t crc, const void *data, size_t len)
{
    uint32_t              a, b;
    const unsigned char  *p;

    if (!mlp_crc_ready) {
        mlp_crc32_init();
    }

    p = data;
    crc = ~crc;

    while (len >= 8) {
        a = crc ^ ((uint32_t) p[0] | (uint32_t) p[1] << 8
                   | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24);
        b = (uint32_t) p[4] | (uint32_t) p[5] << 8 | (uint32_t) p[6] << 16
            | (uint32_t) p[7] << 24;

        crc = mlp_crc_table[7][a & 0xff] ^ mlp_crc_table[6][(a >> 8) & 0xff]
              ^ mlp_crc_table[5][(a >> 16) & 0xff] ^ mlp_crc_table[4][a >> 24]
              ^ mlp_crc_table[3][b & 0xff] ^ mlp_crc_table[2][(b >> 8) & 0xff]
              ^ mlp_crc_table[1][(b >> 16) & 0xff] ^ mlp_crc_table[0][b >> 24];

        p += 8;
        len -= 8;
    }

    while (len--) {
        crc = mlp_crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    }

    return ~crc;
}
