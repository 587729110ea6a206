/**
 * The Redis scripts of the terminal directory (terminal-directory.ts, which documents the
 * keys). Each runs atomically: counting and taking a slot, burning a ticket, taking a dead
 * session are one step each, whichever API process calls.
 */

/**
 * Every script reads the clock of Redis (TIME), never the caller's: API processes on
 * several machines agree on when a ticket or a lease runs out.
 */
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
/** Keeps a key at least `ms` longer (several sessions share a lab's set). */
const KEEP = `local function keep(key, ms) if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end end`;

/**
 * A new session if the lab has a free slot. KEYS: lab set, session, leases. ARGV: max, id, ticket
 * ms, lease ms, then the session's fields. The lab set scores each session with the end of
 * its lease: expired ones are dropped before counting, so a dead process frees its slots.
 * The leases set (every session of the deployment, same scores) keeps them until reaped.
 * Returns -1 (created) or the number of live sessions (full).
 */
export const RESERVE = `${NOW} ${KEEP}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local live = redis.call('ZCARD', KEYS[1])
if live >= tonumber(ARGV[1]) then return live end
local untilMs = now + tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], untilMs + 1000, ARGV[2])
redis.call('ZADD', KEYS[3], untilMs + 1000, ARGV[2])
keep(KEYS[1], tonumber(ARGV[3]) + tonumber(ARGV[4]))
redis.call('HSET', KEYS[2], 'ticketUntil', untilMs, unpack(ARGV, 5))
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[3]) + tonumber(ARGV[4]))
return -1`;

/**
 * A new ticket for a session. KEYS: session, lab set, leases. ARGV: lab id, ticket hash, ticket
 * ms, lease ms, process key prefix, session id. Returns {outcome, state, container}.
 */
export const ISSUE = `${NOW} ${KEEP}
local f = redis.call('HMGET', KEYS[1], 'labId', 'owner', 'state', 'container')
if not f[1] or f[1] ~= ARGV[1] then return {'missing'} end
if f[2] ~= '' and redis.call('EXISTS', ARGV[5] .. f[2]) == 0 then return {'owner-gone'} end
local untilMs = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'ticket', ARGV[2], 'ticketUntil', untilMs)
if f[2] == '' then
  redis.call('ZADD', KEYS[2], untilMs + 1000, ARGV[6])
  redis.call('ZADD', KEYS[3], untilMs + 1000, ARGV[6])
  keep(KEYS[2], tonumber(ARGV[3]) + tonumber(ARGV[4]))
  keep(KEYS[1], tonumber(ARGV[3]) + tonumber(ARGV[4]))
end
return {'ok', f[3], f[4]}`;

/**
 * The upgrade: checks and burns the ticket, and makes this process the owner of a session
 * nobody owns yet. KEYS: session, lab set, this process's key, leases. ARGV: ticket hash, this
 * process's id, process key prefix, lease ms, record ms, session id. The ticket is not
 * burnt unless this process may take the session. (Hashes are compared, never tickets: a
 * timing difference tells nothing about a ticket.)
 */
export const CLAIM = `${NOW} ${KEEP}
local f = redis.call('HMGET', KEYS[1], 'owner', 'ticket', 'ticketUntil')
if not f[1] then return 'missing' end
local owner = f[1]
if owner ~= '' and owner ~= ARGV[2] and redis.call('EXISTS', ARGV[3] .. owner) == 0 then return 'owner-gone' end
if not f[2] or f[2] ~= ARGV[1] or tonumber(f[3]) < now then return 'bad-ticket' end
if owner ~= '' and owner ~= ARGV[2] then return 'elsewhere' end
redis.call('HDEL', KEYS[1], 'ticket', 'ticketUntil')
if owner == ARGV[2] then return 'mine' end
redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
redis.call('HSET', KEYS[1], 'owner', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[6])
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[4]), ARGV[6])
keep(KEYS[2], tonumber(ARGV[5]))
return 'claimed'`;

/**
 * A session created here and never opened, once its ticket ran out. KEYS: session, lab set, leases.
 * ARGV: session id. Returns -1 (opened or gone: nothing to do), 0 (dropped now), or the ms
 * left on a newer ticket.
 */
export const EXPIRE_PENDING = `${NOW}
local f = redis.call('HMGET', KEYS[1], 'owner', 'ticketUntil')
if not f[1] or f[1] ~= '' then return -1 end
local left = tonumber(f[2] or '0') - now
if left > 0 then return left end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 0`;

/**
 * Ending a session from any process. KEYS: session, lab set, leases. ARGV: lab id, session id,
 * process key prefix. A session nobody owns yet is dropped here; one whose owner died
 * stops counting (the reaper ends its shell). Returns {outcome, owner}.
 */
export const END = `
local f = redis.call('HMGET', KEYS[1], 'labId', 'owner')
if not f[1] or f[1] ~= ARGV[1] then return {'missing'} end
if f[2] == '' then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[2])
  redis.call('ZREM', KEYS[3], ARGV[2])
  return {'ended'}
end
if redis.call('EXISTS', ARGV[3] .. f[2]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[2])
  return {'owner-gone'}
end
return {'owner', f[2]}`;

/**
 * The owner renews its lease and its sessions'. KEYS: this process's key, leases, then per
 * session its record and its lab set. ARGV: lease ms, record ms, then the session ids.
 */
export const HEARTBEAT = `${NOW} ${KEEP}
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
for i = 3, #ARGV do
  local record, lab = KEYS[(i - 3) * 2 + 3], KEYS[(i - 3) * 2 + 4]
  if redis.call('EXISTS', record) == 1 then
    redis.call('PEXPIRE', record, ARGV[2])
    redis.call('ZADD', lab, now + tonumber(ARGV[1]), ARGV[i])
    redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), ARGV[i])
    keep(lab, tonumber(ARGV[2]))
  end
end
return 1`;

/**
 * The live sessions of a lab, all processes. KEYS: lab set. ARGV: session key prefix.
 * Returns flat {id, container, state, startedAt, ...}. (Reads records by computed keys:
 * fine on one Redis, not on Redis Cluster.)
 */
export const LIST = `${NOW}
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')) do
  local f = redis.call('HMGET', ARGV[1] .. id, 'container', 'state', 'startedAt')
  if f[1] then
    table.insert(out, id) table.insert(out, f[1]) table.insert(out, f[2]) table.insert(out, f[3])
  end
end
return out`;

/**
 * Sessions nobody holds any more, each taken by one caller only. KEYS: leases. ARGV: key
 * prefix, hold ms, then session ids (none: the first 100 whose lease ran out). A session is
 * dead when its lease ran out and it is `unopened` (no owner, ticket expired: dropped now),
 * `dead` (its owner's process key is gone: the record stays until it expires, so a reconnect
 * is told why) or `gone` (its record expired too). The caller takes it by moving its lease
 * `hold` ms ahead: if the caller dies before reaped(), another takes it then. Returns flat
 * {id, kind, labId, container} (labId and container empty when gone).
 */
export const REAP = `${NOW}
local p, hold = ARGV[1], tonumber(ARGV[2])
local ids = {}
for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 100) end
local out = {}
for _, id in ipairs(ids) do
  local score = tonumber(redis.call('ZSCORE', KEYS[1], id) or '')
  if score and score <= now then
    local key = p .. 's:' .. id
    local f = redis.call('HMGET', key, 'labId', 'owner', 'ticketUntil', 'container')
    local kind = nil
    if not f[1] then
      kind = 'gone'
    elseif f[2] == '' then
      if tonumber(f[3] or '0') < now then
        kind = 'unopened'
        redis.call('DEL', key)
      end
    elseif redis.call('EXISTS', p .. 'proc:' .. f[2]) == 0 then
      kind = 'dead'
    end
    if kind then
      if f[1] then redis.call('ZREM', p .. 'lab:' .. f[1], id) end
      redis.call('ZADD', KEYS[1], now + hold, id)
      table.insert(out, id) table.insert(out, kind) table.insert(out, f[1] or '') table.insert(out, f[4] or '')
    end
  end
end
return out`;

export type Scripts = {
  reserveTerminal(lab: string, session: string, leases: string, ...args: (string | number)[]): Promise<number>;
  issueTicket(session: string, lab: string, leases: string, ...args: (string | number)[]): Promise<string[]>;
  claimTerminal(session: string, lab: string, proc: string, leases: string, ...args: (string | number)[]): Promise<string>;
  expirePending(session: string, lab: string, leases: string, id: string): Promise<number>;
  endTerminal(session: string, lab: string, leases: string, ...args: string[]): Promise<string[]>;
  heartbeat(numberOfKeys: number, ...args: (string | number)[]): Promise<number>;
  listTerminals(lab: string, prefix: string): Promise<string[]>;
  reapTerminals(leases: string, ...args: (string | number)[]): Promise<string[]>;
};
