/** Redis Cluster's key → slot function (CRC16/XMODEM of the hash tag, mod 16384), as in the Redis Cluster spec. */
export const CLUSTER_SLOTS = 16_384;

export function hashSlot(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(key, 'utf8')) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % CLUSTER_SLOTS;
}

/**
 * `count` hash tags whose slots are spread evenly over the 16384 (tag i lands in the i-th
 * 1/count of the range), so data grouped under them is spread evenly over any primaries that
 * hold contiguous slot ranges, as `redis-cli --cluster create` assigns them.
 */
export function spreadTags(name: string, count: number): string[] {
  const width = CLUSTER_SLOTS / count;
  return Array.from({ length: count }, (_, i) => {
    for (let n = 0; ; n++) {
      const tag = `${name}${i}.${n}`;
      if (Math.floor(hashSlot(tag) / width) === i) return tag;
    }
  });
}
