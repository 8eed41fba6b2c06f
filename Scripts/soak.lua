-- wrk script for Scripts/soak: the bodies of Scripts/bench-proxy.lua (10-event HTTP V2 bodies,
-- 7.0 KB, or 13.8 KB with BODY=realistic; fresh insert_ids), paced to a target rate: `-- RATE`
-- after wrk's options is the rate per wrk thread in requests/s (the body shape comes from BODY). Each thread keeps one schedule for all its connections:
-- every request takes the next slot, 1/RATE s after the previous one, and waits for it.
dofile("Scripts/bench-proxy.lua")

local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_usec; } soak_timeval;
int gettimeofday(soak_timeval *tv, void *tz);
]]
local tv = ffi.new("soak_timeval")
local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
end

local bench_init = init
local interval = 0
local next_slot = nil

function init(args)
  bench_init({})  -- this script's argument is the rate, not bench-proxy's body shape
  local rate = tonumber(args[1] or "0") or 0
  if rate > 0 then interval = 1000 / rate end
end

function delay()
  if interval == 0 then return 0 end
  local now = now_ms()
  if next_slot == nil or next_slot < now - 1000 then next_slot = now end  -- never bursts to catch up more than 1 s
  next_slot = next_slot + interval
  local wait = next_slot - now
  if wait < 0 then return 0 end
  return math.floor(wait)
end
