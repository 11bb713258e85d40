/**
 * Golden zstd record batches from real clients, shared by the format, storage and server tests.
 * Captured from Tributary's segment files after each client produced to it.
 */
const hex = (h: string): Buffer => Buffer.from(h, 'hex');

/**
 * Record batches as stored after real clients produced them with compression zstd: six records,
 * keys k0 k1 k2 k0 k1 k2, values "value number i of the zstd golden batch, value number i of the
 * zstd golden batch". librdkafka writes one frame with neither content size nor checksum.
 */
export const KCAT_BATCH = hex(
  '0000000000000000000000af0000000002ca74c9d9000400000005000001a235534d61000001a235534d61ffffffffffffffffffffffffffff0000000628b52ffd0058ad0300b404b201000000046b30a00176616c7565206e756d6265722030206f6620746865207a73746420676f6c64656e2062617463682c2000b201000002046b313104046b32320633330834340a35351200c096a03ce031204a501ef01810259447b19c416bc08ea0bca009b4006c08e5f54277062b1514',
);
export const CKJS_BATCH = hex(
  '0000000000000000000000b30000000002c3c767070004000000050000018bcfe568000000018bcfe56805ffffffffffffffffffffffffffff0000000628b52ffd0058cd0300f404b201000000046b30a00176616c7565206e756d6265722030206f6620746865207a73746420676f6c64656e2062617463682c2000b201000202046b31310404046b323206063333080834340a0a35351200c096a0bcc04370b3a014c04370b3500a8ae508ac003604e505adc00a604328af17ba3358a9a0',
);
export const goldenValue = (i: number): string => `value number ${i} of the zstd golden batch, value number ${i} of the zstd golden batch`;
