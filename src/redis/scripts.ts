import { createHash } from 'node:crypto';

/**
 * The Lua scripts of the Redis store: one per kind of object, each touching one key (a
 * breaker's or a budget's hash) or keys of one hash tag (the escalations), so that they
 * run on Redis Cluster too. No script reads a clock: `now` is an argument, the caller's
 * scheduler time, so every process must keep the same time (see the README: wall clocks
 * in step, as NTP keeps them).
 */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return Object.freeze({ source, sha: createHash('sha1').update(source).digest('hex') });
}

/**
 * Reads a hash into `h`, and writes back the fields `put` changed, in one HSET; `drop`
 * deletes a field at once.
 */
const HASH = `
local h = {}
local raw = redis.call('HGETALL', KEYS[1])
for i = 1, #raw, 2 do h[raw[i]] = raw[i + 1] end
local changed = {}
local function num(field) return tonumber(h[field]) or 0 end
local function fmt(x) return string.format('%.17g', x) end
local function put(field, value)
  if type(value) == 'number' then value = fmt(value) end
  h[field] = value
  changed[field] = value
end
local function drop(field)
  if h[field] == nil then return end
  h[field] = nil
  changed[field] = nil
  redis.call('HDEL', KEYS[1], field)
end
local function save()
  local args = {}
  for field, value in pairs(changed) do
    args[#args + 1] = field
    args[#args + 1] = value
  end
  if #args > 0 then redis.call('HSET', KEYS[1], unpack(args)) end
end
`;

/**
 * A circuit breaker's shared state: one hash, `{<prefix>:breaker:<name>}`.
 *
 * ARGV: op, now, ttl (ms), channel, name, nonce (the calling store's id), consecutive (0
 * when the trip is a rate), window kind (`c` calls, `t` time), window size (calls or ms),
 * rate (−1: none), minimumCalls, slow rate (−1: none), halfOpenCalls, the open durations
 * for openings 1, 2, 3 … (comma-separated; the last repeats), then the op's own:
 * - `flush` ok, failures, slow, failures in a row at the end, a success seen (0/1),
 *   tripped here (0/1), and optionally this process's isolations (as for `isolate`): adds
 *   a process's outcomes to the window, and opens the breaker when the fleet's window
 *   trips it (or the process's own did). Also the periodic sync, and the resync.
 * - `acquire`: a half-open permit, atomically (`trials + ok < halfOpenCalls`). Trials
 *   granted longer ago than the last open duration are presumed lost, and forgotten.
 * - `trial` generation, outcome (`ok`, `slow`, `fail`, `none`): a permit's outcome.
 * - `isolate` count: this process's isolation handles (a count, not a step: repeating it
 *   is harmless); the breaker is isolated while any process holds one. A count of 0
 *   deletes the process's field: a process that holds none leaves nothing behind.
 * - `reset`: closed, counts and isolations forgotten.
 *
 * Fields: id (the maker's id and time: a new id says the state was lost), gen (bumped by
 * every transition), state, halfAt (when open turns half-open), len (the open duration),
 * opens, trials, ok, grant (when the last trial was granted), run (failures in a row),
 * f/s/w (failures, successes, slow: totals for a calls window, or per bucket f0…f9 with
 * b0…b9 the bucket numbers for a time window), win (the window: `c<calls>` or `t<ms>`, so
 * that a reader such as the fleet view can tell which buckets are current),
 * i:<store id> (isolations per process, only while it holds some).
 * Every transition is published on the channel: `{ k: 'b', n: name, r: state }`.
 * Returns: granted (0/1), id, gen, state, halfAt, opens, this process's isolations.
 */
export const breakerScript = script(`${HASH}
local op = ARGV[1]
local now = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local consecutive = tonumber(ARGV[7])
local kind = ARGV[8]
local size = tonumber(ARGV[9])
local rate = tonumber(ARGV[10])
local minimum = tonumber(ARGV[11])
local slowRate = tonumber(ARGV[12])
local halfOpen = tonumber(ARGV[13])
local durations = {}
for value in string.gmatch(ARGV[14], '[^,]+') do durations[#durations + 1] = tonumber(value) end
if h.id == nil then
  put('id', ARGV[6] .. '@' .. ARGV[2])
  put('state', 'closed')
  put('gen', 0)
end
local win = kind .. ARGV[9]
if h.win ~= win then put('win', win) end
local moved = false
local bucket = 0
if kind == 't' then bucket = math.floor(now * 10 / size) end

local function clearWindow()
  put('run', 0)
  if kind == 't' then
    for i = 0, 9 do put('b' .. i, -1) end
  else
    put('f', 0); put('s', 0); put('w', 0)
  end
end

local function move(to)
  put('state', to)
  put('gen', num('gen') + 1)
  put('trials', 0)
  put('ok', 0)
  if to == 'closed' then
    clearWindow()
    put('opens', 0)
  elseif to == 'open' then
    local opens = num('opens') + 1
    local ms = durations[math.min(opens, #durations)]
    put('opens', opens)
    put('len', ms)
    put('halfAt', now + ms)
  end
  moved = true
end

local function window()
  if kind == 't' then
    local f, s, w = 0, 0, 0
    for i = 0, 9 do
      local b = tonumber(h['b' .. i])
      if b ~= nil and b > bucket - 10 and b <= bucket then
        f = f + num('f' .. i); s = s + num('s' .. i); w = w + num('w' .. i)
      end
    end
    return f + s, f, w
  end
  return num('f') + num('s'), num('f'), num('w')
end

local function add(f, s, w)
  if f + s == 0 then return end
  if kind == 't' then
    local i = bucket % 10
    if tonumber(h['b' .. i]) ~= bucket then
      put('b' .. i, bucket); put('f' .. i, 0); put('s' .. i, 0); put('w' .. i, 0)
    end
    put('f' .. i, num('f' .. i) + f); put('s' .. i, num('s' .. i) + s); put('w' .. i, num('w' .. i) + w)
  else
    local nf, ns, nw = num('f') + f, num('s') + s, num('w') + w
    local calls = nf + ns
    if calls > size then
      local keep = size / calls
      nf = nf * keep; ns = ns * keep; nw = nw * keep
    end
    put('f', nf); put('s', ns); put('w', nw)
  end
end

local function tripped()
  if consecutive > 0 and num('run') >= consecutive then return true end
  local calls, f, w = window()
  if calls == 0 or calls < minimum - 1e-9 then return false end
  if rate > 0 and f / calls >= rate - 1e-9 then return true end
  return slowRate > 0 and w / calls >= slowRate - 1e-9
end

local function isolations()
  local total = 0
  for field, value in pairs(h) do
    if string.sub(field, 1, 2) == 'i:' then total = total + (tonumber(value) or 0) end
  end
  return total
end

if h.state == 'open' and now >= num('halfAt') then move('half_open') end

local function isolate(count)
  if count > 0 then put('i:' .. ARGV[6], count) else drop('i:' .. ARGV[6]) end
  local total = isolations()
  if total > 0 and h.state ~= 'isolated' then move('isolated') end
  if total == 0 and h.state == 'isolated' then move('closed') end
end

local granted = 0
if op == 'flush' then
  if ARGV[21] ~= nil and ARGV[21] ~= '' then isolate(tonumber(ARGV[21])) end
  if h.state == 'closed' then
    local ok, fail, slow = tonumber(ARGV[15]), tonumber(ARGV[16]), tonumber(ARGV[17])
    add(fail, ok + slow, slow)
    if ARGV[19] == '1' then put('run', tonumber(ARGV[18])) else put('run', num('run') + tonumber(ARGV[18])) end
    if ARGV[20] == '1' or tripped() then move('open') end
  end
elseif op == 'acquire' then
  if h.state == 'half_open' then
    if num('trials') > 0 and now - num('grant') >= math.max(num('len'), 1) then put('trials', 0) end
    if num('trials') + num('ok') < halfOpen then
      put('trials', num('trials') + 1)
      put('grant', now)
      granted = 1
    end
  end
elseif op == 'trial' then
  if h.state == 'half_open' and num('gen') == tonumber(ARGV[15]) then
    put('trials', math.max(0, num('trials') - 1))
    local outcome = ARGV[16]
    if outcome == 'fail' or outcome == 'slow' then
      move('open')
    elseif outcome == 'ok' then
      put('ok', num('ok') + 1)
      if num('ok') >= halfOpen then move('closed') end
    end
  end
elseif op == 'isolate' then
  isolate(tonumber(ARGV[15]))
elseif op == 'reset' then
  local gone = {}
  for field in pairs(h) do
    if string.sub(field, 1, 2) == 'i:' then gone[#gone + 1] = field end
  end
  for _, field in ipairs(gone) do drop(field) end
  if h.state ~= 'closed' then
    move('closed')
  else
    put('gen', num('gen') + 1)
    clearWindow()
    moved = true
  end
end

save()
local life = ttl
if h.state == 'open' then life = ttl + math.min(math.max(num('halfAt') - now, 0), 86400000) end
redis.call('PEXPIRE', KEYS[1], math.floor(life))
local state = { h.id, fmt(num('gen')), h.state, fmt(num('halfAt')), fmt(num('opens')) }
if moved then redis.call('PUBLISH', ARGV[4], cjson.encode({ k = 'b', n = ARGV[5], r = state })) end
return { granted, state[1], state[2], state[3], state[4], state[5], fmt(num('i:' .. ARGV[6])) }
`);

/**
 * A retry budget's shared accounts: one hash, `{<prefix>:budget:<name>}`, deposits and
 * withdrawals in 10 buckets of `ttlMs / 10` (d0…d9, w0…w9, with b0…b9 the bucket numbers),
 * and the settings a reader needs to tell the balance: win (`ttlMs`), ratio, reserve.
 * Processes do not withdraw here one by one: each borrows tokens ahead, counted as
 * withdrawn when lent, and gives back what it did not spend (`returned`, lent at
 * `returnedAt`) at its next exchange, so that the fleet never pays more than
 * `⌊ratio × deposits + reserve⌋` withdrawals over `ttlMs`. A process asking for any
 * (`want` > 0) gets `want`, or `share` of what remains when that is more, within what
 * remains.
 *
 * ARGV: now, ttl (ms), window (ttlMs), ratio, reserve, deposits, returned, returnedAt,
 * want, share.
 * Returns: tokens lent, the fleet's deposits, the fleet's withdrawals (lent ones included).
 */
export const budgetScript = script(`${HASH}
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[3])
local ratio = tonumber(ARGV[4])
local reserve = tonumber(ARGV[5])
local returned = tonumber(ARGV[7])
local want = tonumber(ARGV[9])
local bucket = math.floor(now * 10 / window)
local i = bucket % 10
if h.win ~= ARGV[3] then put('win', ARGV[3]) end
if h.ratio ~= ARGV[4] then put('ratio', ARGV[4]) end
if h.reserve ~= ARGV[5] then put('reserve', ARGV[5]) end
if tonumber(h['b' .. i]) ~= bucket then
  put('b' .. i, bucket); put('d' .. i, 0); put('w' .. i, 0)
end
put('d' .. i, num('d' .. i) + tonumber(ARGV[6]))
if returned > 0 then
  local from = math.floor(tonumber(ARGV[8]) * 10 / window)
  local j = from % 10
  if from > bucket - 10 and tonumber(h['b' .. j]) == from then
    put('w' .. j, math.max(0, num('w' .. j) - returned))
  end
end
local deposits, withdrawals = 0, 0
for j = 0, 9 do
  local b = tonumber(h['b' .. j])
  if b ~= nil and b > bucket - 10 and b <= bucket then
    deposits = deposits + num('d' .. j)
    withdrawals = withdrawals + num('w' .. j)
  end
end
local remaining = math.floor(ratio * deposits + reserve + 1e-9) - withdrawals
local lent = 0
if want > 0 and remaining > 0 then
  lent = math.min(remaining, math.max(want, math.ceil(remaining * tonumber(ARGV[10]))))
end
if lent > 0 then put('w' .. i, num('w' .. i) + lent) end
save()
redis.call('PEXPIRE', KEYS[1], math.floor(tonumber(ARGV[2])))
return { fmt(lent), fmt(deposits), fmt(withdrawals + lent) }
`);

/**
 * The escalations that wait, in every process: an index (a sorted set, by `createdAt`),
 * `{<prefix>:escalations}`, one hash per escalation, `{<prefix>:escalations}:<id>` (`r`
 * the record as JSON, `res` the resolution once one was given), and a counter of changes,
 * `{<prefix>:escalations}#seq`, that orders a listing against the messages; one hash tag,
 * so one cluster slot. Items expire after `ttl` unless the waiting process refreshes them.
 *
 * KEYS: the index, the item, the counter. ARGV: op, channel, ttl, id, payload, score, then
 * for `sync` the ids this process waits on.
 * - `add` (payload: the record) → 1. Published: `{ k: 'e', o: 'add', id, r, q }`.
 * - `remove` → 1 when it was listed. Published: `{ k: 'e', o: 'del', id, q }`.
 * - `claim` (payload: the resolution) → 1 for the first resolution of a waiting
 *   escalation, 0 otherwise. Published: `{ k: 'e', o: 'res', id, s, q }`.
 * - `sync` → { [id, record, …] every waiting escalation, [id, status, …] for each own id:
 *   `missing`, `ok`, or the resolution given, the counter }. `q` in a message is the
 *   counter after the change. It reads the items of listed ids, which no caller can name
 *   in KEYS: their keys are built from KEYS[1] (the index, as the client sent it: with a
 *   client's `keyPrefix`, which ioredis puts before KEYS only), `<index>:<id>`, in the
 *   index's hash tag.
 */
export const escalationScript = script(`
local op = ARGV[1]
local ttl = tonumber(ARGV[3])
local id = ARGV[4]
local function bump()
  local seq = redis.call('INCR', KEYS[3])
  redis.call('PEXPIRE', KEYS[3], ttl)
  return seq
end
if op == 'add' then
  redis.call('HSET', KEYS[2], 'r', ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('ZADD', KEYS[1], tonumber(ARGV[6]), id)
  redis.call('PEXPIRE', KEYS[1], ttl)
  local seq = bump()
  redis.call('PUBLISH', ARGV[2], cjson.encode({ k = 'e', o = 'add', id = id, r = ARGV[5], q = seq }))
  return 1
elseif op == 'remove' then
  redis.call('DEL', KEYS[2])
  local removed = redis.call('ZREM', KEYS[1], id)
  if removed > 0 then
    local seq = bump()
    redis.call('PUBLISH', ARGV[2], cjson.encode({ k = 'e', o = 'del', id = id, q = seq }))
  end
  return removed
elseif op == 'claim' then
  if redis.call('EXISTS', KEYS[2]) == 0 or redis.call('HEXISTS', KEYS[2], 'res') == 1 then return 0 end
  redis.call('HSET', KEYS[2], 'res', ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('ZREM', KEYS[1], id)
  local seq = bump()
  redis.call('PUBLISH', ARGV[2], cjson.encode({ k = 'e', o = 'res', id = id, s = ARGV[5], q = seq }))
  return 1
end
local prefix = KEYS[1] .. ':'
local own = {}
for n = 7, #ARGV do
  local item = prefix .. ARGV[n]
  own[#own + 1] = ARGV[n]
  if redis.call('EXISTS', item) == 0 then
    own[#own + 1] = 'missing'
  else
    local resolution = redis.call('HGET', item, 'res')
    if resolution then
      own[#own + 1] = resolution
    else
      own[#own + 1] = 'ok'
      redis.call('PEXPIRE', item, ttl)
    end
  end
end
local list = {}
for _, waiting in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local record = redis.call('HGET', prefix .. waiting, 'r')
  if record and redis.call('HEXISTS', prefix .. waiting, 'res') == 0 then
    list[#list + 1] = waiting
    list[#list + 1] = record
  else
    redis.call('ZREM', KEYS[1], waiting)
  end
end
if #list > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
local seq = tonumber(redis.call('GET', KEYS[3]) or '0')
if seq > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
return { list, own, seq }
`);
