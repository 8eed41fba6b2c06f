-- wrk script for Scripts/bench-proxy.sh: POSTs realistic 10-event HTTP V2 bodies (about 4 KB,
-- shaped like analytics-browser's) and prints one machine-readable RESULT line at the end.
-- Each wrk thread pre-builds 1000 distinct requests (distinct insert_ids) and cycles through them.

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local reqs = {}
local n = 0

local types = { "Page Viewed", "Button Clicked", "Add To Cart", "Checkout Started", "Order Completed" }

function init(args)
  for r = 1, 1000 do
    local events = {}
    for e = 1, 10 do
      local insert = string.format("%08x-%04x-4%03x-a%03x-%012x", tid, r % 65536, e, r % 4096, r * 16 + e)
      events[e] = string.format(
        '{"user_id":"user-%05d","device_id":"device-%08x-%04x","session_id":1795000000000,"time":%d,' ..
        '"event_type":"%s","event_properties":{"button":"Buy now","price":%d.99,"currency":"EUR",' ..
        '"items":["sku-%d","sku-%d"],"page":{"path":"/checkout","title":"Checkout","referrer":"https://example.com/cart"}},' ..
        '"user_properties":{"plan":"pro","beta":true},"platform":"Web","os_name":"Chrome","os_version":"120",' ..
        '"device_model":"Linux","language":"en-US","ip":"$remote","insert_id":"%s","event_id":%d,' ..
        '"library":"amplitude-ts/2.45.6",' ..
        '"user_agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"}',
        (tid * 1000 + r) % 100000, tid, r % 65536, 1795000000000 + r * 10 + e, types[(e % #types) + 1],
        e * 3, r, e, insert, r * 10 + e)
    end
    local body = '{"api_key":"0123456789abcdef0123456789abcdef","events":[' .. table.concat(events, ",") ..
      '],"options":{},"client_upload_time":"2026-11-22T18:06:05.928Z"}'
    reqs[r] = wrk.format("POST", "/2/httpapi", { ["Content-Type"] = "application/json" }, body)
  end
end

function request()
  n = n + 1
  if n > #reqs then n = 1 end
  return reqs[n]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d bytes=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, summary.bytes))
end
