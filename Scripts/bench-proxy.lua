-- wrk script for Scripts/bench-proxy.sh: POSTs realistic 10-event HTTP V2 bodies (about 4 KB,
-- shaped like analytics-browser's) and prints one machine-readable RESULT line at the end.
-- Every request carries fresh insert_ids (as real SDKs send), so no request is a resend; 100
-- body shapes per thread (users, prices, items) are rotated.

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local shapes = {}   -- each: list of 11 fixed parts around 10 insert_id holes
local heads = {}    -- per shape: the request head (its Content-Length is fixed per shape)
local n = 0

local types = { "Page Viewed", "Button Clicked", "Add To Cart", "Checkout Started", "Order Completed" }

local salt = 0      -- per wrk run: the warm-up run and the measured run must not send the same ids

function init(args)
  salt = os.time() % 0x1000   -- the runs start seconds apart
  for r = 1, 100 do
    local parts = {}
    local pre = '{"api_key":"0123456789abcdef0123456789abcdef","events":['
    for e = 1, 10 do
      local ev = string.format(
        '{"user_id":"user-%05d","device_id":"device-%08x-%04x","session_id":1795000000000,"time":%d,' ..
        '"event_type":"%s","event_properties":{"button":"Buy now","price":%d.99,"currency":"EUR",' ..
        '"items":["sku-%d","sku-%d"],"page":{"path":"/checkout","title":"Checkout","referrer":"https://example.com/cart"}},' ..
        '"user_properties":{"plan":"pro","beta":true},"platform":"Web","os_name":"Chrome","os_version":"120",' ..
        '"device_model":"Linux","language":"en-US","ip":"$remote","event_id":%d,"library":"amplitude-ts/2.45.6",' ..
        '"user_agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",' ..
        '"insert_id":"',
        (tid * 100 + r) % 100000, tid, r, 1795000000000 + r * 10 + e, types[(e % #types) + 1], e * 3, r, e, r * 10 + e)
      if e == 1 then parts[1] = pre .. ev else parts[e] = '"},' .. ev end
    end
    parts[11] = '"}],"options":{},"client_upload_time":"2026-11-22T18:06:05.928Z"}'
    shapes[r] = parts
  end
end

function request()
  n = n + 1
  local k = (n % #shapes) + 1
  local parts = shapes[k]
  local pieces = {}
  for e = 1, 10 do
    pieces[2 * e - 1] = parts[e]
    -- 36 characters, unique per run, thread, request and event (UUID-shaped)
    pieces[2 * e] = string.format("%08x-%04x-4%03x-a%03x-%012x", tid, e, salt, e, n)
  end
  pieces[21] = parts[11]
  local body = table.concat(pieces)
  local head = heads[k]
  if head == nil then
    head = "POST /2/httpapi HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " .. #body .. "\r\n\r\n"
    heads[k] = head
  end
  return head .. body
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d bytes=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, summary.bytes))
end
