import Redis from 'ioredis';
const P = 'tg:benchtmp:{nodes}:';
const EWMA_SCRIPT = `
local old = redis.call('GET', KEYS[1])
local v = tonumber(ARGV[1])
if old then v = tonumber(ARGV[2]) * v + (1 - tonumber(ARGV[2])) * tonumber(old) end
redis.call('SET', KEYS[1], tostring(v), 'PX', ARGV[3])
return tostring(v)`;
const READ = `local out = {}
for i = 1, #KEYS, 4 do
  out[#out + 1] = redis.call('GET', KEYS[i]) or false
  out[#out + 1] = redis.call('EXISTS', KEYS[i + 1])
  out[#out + 1] = redis.call('GET', KEYS[i + 2]) or false
  out[#out + 1] = redis.call('ZCOUNT', KEYS[i + 3], ARGV[1], '+inf')
end
return out`;
const ACQ = `redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2]) redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3]) redis.call('PEXPIRE', KEYS[1], ARGV[4]) return 1`;
const SUCC = `if ARGV[1] ~= '' then redis.call('ZREM', KEYS[1], ARGV[1]) end
local old = redis.call('GET', KEYS[2])
local v = tonumber(ARGV[2])
if old then v = tonumber(ARGV[3]) * v + (1 - tonumber(ARGV[3])) * tonumber(old) end
redis.call('SET', KEYS[2], tostring(v), 'PX', ARGV[4])
redis.call('DEL', KEYS[3])
redis.call('HINCRBY', KEYS[4], 'served', 1)
redis.call('PEXPIRE', KEYS[4], ARGV[5])
return 1`;
(async () => {
  const r = new Redis('redis://127.0.0.1:6379') as any;
  r.defineCommand('xRead', { lua: READ });
  r.defineCommand('xAcq', { lua: ACQ, numberOfKeys: 1 });
  r.defineCommand('xSucc', { lua: SUCC, numberOfKeys: 4 });
  const id = 'n1';
  const old = async (i: number) => {
    const now = Date.now();
    const p = r.pipeline();
    p.mget([P + 'hb:' + id]); p.mget([P + 'cooldown:' + id]); p.mget([P + 'ewma:' + id]); p.zcount(P + 'inflight:' + id, now, '+inf');
    await p.exec();
    await r.multi().zadd(P + 'inflight:' + id, now + 900000, 'r' + i).zremrangebyscore(P + 'inflight:' + id, '-inf', now).pexpire(P + 'inflight:' + id, 900000).exec();
    const m = r.multi(); m.zrem(P + 'inflight:' + id, 'r' + i); m.eval(EWMA_SCRIPT, 1, P + 'ewma:' + id, '5', '0.2', '300000'); m.del(P + 'failures:' + id); m.hincrby(P + 'stats:' + id, 'served', 1); m.pexpire(P + 'stats:' + id, 1000000); await m.exec();
  };
  const neu = async (i: number) => {
    const now = Date.now();
    await r.xRead(4, P + 'hb:' + id, P + 'cooldown:' + id, P + 'ewma:' + id, P + 'inflight:' + id, now);
    await r.xAcq(P + 'inflight:' + id, now + 900000, 'r' + i, now, 900000);
    await r.xSucc(P + 'inflight:' + id, P + 'ewma:' + id, P + 'failures:' + id, P + 'stats:' + id, 'r' + i, '5', '0.2', '300000', '1000000');
  };
  const redisPid = Number((await r.info('server')).match(/process_id:(\d+)/)[1]);
  const fs = require('fs');
  const redisCpu = () => { const s = fs.readFileSync(`/proc/${redisPid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(s[11]) + Number(s[12])) * 10; };
  for (const [name, f] of [['old', old], ['new', neu], ['old', old], ['new', neu]] as const) {
    const N = 20000, C = 20;
    for (let i = 0; i < 2000; i++) await f(i);
    const t = process.cpuUsage(); const rc = redisCpu(); const w = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: C }, async () => { while (next < N) await f(next++); }));
    const u = process.cpuUsage(t);
    console.log(`${name}: client ${((u.user + u.system) / N).toFixed(1)} µs/req, redis ${((redisCpu() - rc) * 1000 / N).toFixed(1)} µs/req, wall ${((performance.now() - w) / N * 1000).toFixed(1)} µs/req`);
  }
  await r.del(P + 'hb:' + id, P + 'cooldown:' + id, P + 'ewma:' + id, P + 'inflight:' + id, P + 'failures:' + id, P + 'stats:' + id);
  r.disconnect();
})();
