/**
 * Redis keeps, per developer, a cache of the ledger balance plus the holds on it, so the hot
 * path can reserve credits atomically in one round trip (TigerBeetle's pending → post/void).
 *
 * Hash `{prefix}credits:{accountId}` fields (prefix: REDIS_KEY_PREFIX):
 *   bal   credits per the ledger (micro-USD, credit-normal), as of `pos`
 *   pos   the $all position (fixed-width "commit:prepare") up to which `bal` includes every event
 *   held  the sum of the open holds below
 *   r:ID  a reservation (amount): expires on its own if its process dies
 *   s:ID  a settled charge whose event is stored but not yet in `bal` ("amount|position")
 *   a:ID  the feeder applied ID's event before the request settled (marker)
 * Zset `{prefix}credits:{accountId}:exp` gives each r:/a: entry its expiry (ms); every script
 * first drops expired ones (at most PURGE_MAX a call, so no call is unbounded). A settled charge
 * never expires: it is money already spent, and leaves `held` only when the feeder brings its
 * event into `bal` (or a seed includes it). Its score is SETTLED_BASE + the time it settled, above
 * every expiry, so purges never reach it and the oldest one is one range query away: RESERVE
 * refuses (-2) while the oldest has waited longer than the feeder may lag.
 * String `{prefix}credits:feeder`: the highest position the feeder has passed. A seed from the
 * PostgreSQL balance is accepted only if that balance is at least as recent, so an event the
 * feeder skipped (account not cached) is always inside the seed and never lost or counted twice.
 *
 * Amounts stay below 2^53 (MAX_AMOUNT_MICRO_USD bounds each command), which Lua numbers hold exactly;
 * balances go back to JavaScript as strings.
 */
/**
 * Above any expiry in ms until the year 2286, and small enough that SETTLED_BASE + now keeps 14
 * significant digits: Redis passes Lua numbers on as "%.14g" text, so scores stay exact to the ms.
 */
const SETTLED_BASE = '10000000000000';

const PRELUDE = `
local hash, exp = KEYS[1], KEYS[2]
local SETTLED_BASE = tonumber('${SETTLED_BASE}')
local function amountOf(v) return string.match(v, '^(%d+)') end
local function purge(now)
  local expired = redis.call('ZRANGEBYSCORE', exp, '-inf', now, 'LIMIT', 0, 200)
  for i = 1, #expired do
    local f = expired[i]
    local v = redis.call('HGET', hash, f)
    if v and string.sub(f, 1, 1) ~= 'a' then redis.call('HINCRBY', hash, 'held', '-' .. amountOf(v)) end
    redis.call('HDEL', hash, f)
  end
  if #expired > 0 then redis.call('ZREM', exp, unpack(expired)) end
end
local function drop(f)
  local v = redis.call('HGET', hash, f)
  if not v then return nil end
  redis.call('HDEL', hash, f)
  redis.call('ZREM', exp, f)
  if string.sub(f, 1, 1) ~= 'a' then redis.call('HINCRBY', hash, 'held', '-' .. amountOf(v)) end
  return v
end
local function add(f, value, amount, expiresAt)
  redis.call('HSET', hash, f, value)
  if amount then redis.call('HINCRBY', hash, 'held', amount) end
  redis.call('ZADD', exp, expiresAt, f)
end
local function touch(idleMs)
  redis.call('PEXPIRE', hash, idleMs)
  redis.call('PEXPIRE', exp, idleMs)
end
`;

/**
 * ARGV: now, holdId, amount, ttlMs, idleMs, feederMaxLagMs → {status, bal, held}; status 1 held,
 * 0 insufficient, -1 not cached, -2 a settled charge has waited for the feeder longer than it may.
 */
export const RESERVE = `${PRELUDE}
local now = tonumber(ARGV[1])
purge(now)
if redis.call('HEXISTS', hash, 'pos') == 0 then return {-1, '0', '0'} end
local bal = redis.call('HGET', hash, 'bal')
local held = redis.call('HGET', hash, 'held') or '0'
local f = 'r:' .. ARGV[2]
if redis.call('HEXISTS', hash, f) == 1 then return {1, bal, held} end
local oldest = redis.call('ZRANGEBYSCORE', exp, '${SETTLED_BASE}', '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
if oldest[2] and now - (tonumber(oldest[2]) - SETTLED_BASE) > tonumber(ARGV[6]) then return {-2, bal, held} end
if tonumber(ARGV[3]) > tonumber(bal) - tonumber(held) then return {0, bal, held} end
add(f, ARGV[3], ARGV[3], now + tonumber(ARGV[4]))
touch(ARGV[5])
return {1, bal, redis.call('HGET', hash, 'held')}
`;

/**
 * ARGV: now, holdId, cost, position of the stored charge event, idleMs.
 * Closes the reservation and keeps the cost held until the feeder brings the event into `bal`
 * (unless it already has). Never holds more than was reserved: a cost above its open reservation
 * is held at the reservation ('clamped'; the charge itself is bounded before it is stored, so this
 * is a second line). Idempotent.
 */
export const SETTLE = `${PRELUDE}
local now = tonumber(ARGV[1])
local id = ARGV[2]
purge(now)
local reserved = drop('r:' .. id)
if drop('a:' .. id) then return 'applied' end
if redis.call('HEXISTS', hash, 's:' .. id) == 1 then return 'pending' end
local pos = redis.call('HGET', hash, 'pos')
if pos and pos >= ARGV[4] then return 'included' end
local cost = ARGV[3]
local status = 'pending'
if reserved and tonumber(cost) > tonumber(amountOf(reserved)) then
  cost = amountOf(reserved)
  status = 'clamped'
end
if tonumber(cost) > 0 then
  add('s:' .. id, cost .. '|' .. ARGV[4], cost, SETTLED_BASE + now)
  touch(ARGV[5])
end
return status
`;

/** ARGV: now, holdId → the released amount ('0' if none was open). */
export const RELEASE = `${PRELUDE}
purge(tonumber(ARGV[1]))
local v = drop('r:' .. ARGV[2])
return v and amountOf(v) or '0'
`;

/**
 * The feeder's step for one event. KEYS[3] = feeder position.
 * ARGV: now, position, credit delta (signed), holdId or '', markerTtlMs, idleMs.
 */
export const APPLY = `${PRELUDE}
local now = tonumber(ARGV[1])
local p = ARGV[2]
local feeder = redis.call('GET', KEYS[3])
if (not feeder) or feeder < p then redis.call('SET', KEYS[3], p) end
purge(now)
local pos = redis.call('HGET', hash, 'pos')
local applied = 0
if pos and pos < p then
  if ARGV[3] ~= '0' then redis.call('HINCRBY', hash, 'bal', ARGV[3]) end
  redis.call('HSET', hash, 'pos', p)
  applied = 1
end
if ARGV[4] ~= '' then
  if not drop('s:' .. ARGV[4]) then add('a:' .. ARGV[4], '1', nil, now + tonumber(ARGV[5])) end
  touch(ARGV[6])
end
return applied
`;

/**
 * KEYS[3] = feeder position. ARGV: balance from PostgreSQL, its position, idleMs.
 * → 'seeded' | 'stale' (PostgreSQL is behind the feeder: retry) | 'nofeeder' (wait for it).
 * Settled charges the seed already includes are dropped; the others stay held.
 */
export const SEED = `${PRELUDE}
if redis.call('HEXISTS', hash, 'pos') == 1 then return 'seeded' end
local feeder = redis.call('GET', KEYS[3])
if not feeder then return 'nofeeder' end
if ARGV[2] < feeder then return 'stale' end
local fields = redis.call('HKEYS', hash)
for i = 1, #fields do
  local f = fields[i]
  if string.sub(f, 1, 2) == 's:' then
    local at = string.match(redis.call('HGET', hash, f), '|(.+)$')
    if at and at <= ARGV[2] then drop(f) end
  end
end
redis.call('HSET', hash, 'bal', ARGV[1], 'pos', ARGV[2])
if redis.call('HEXISTS', hash, 'held') == 0 then redis.call('HSET', hash, 'held', '0') end
touch(ARGV[3])
return 'seeded'
`;

/** ARGV: now → {seeded 1/0, bal, held}. */
export const PEEK = `${PRELUDE}
purge(tonumber(ARGV[1]))
if redis.call('HEXISTS', hash, 'pos') == 0 then return {0, '0', '0'} end
return {1, redis.call('HGET', hash, 'bal'), redis.call('HGET', hash, 'held') or '0'}
`;
