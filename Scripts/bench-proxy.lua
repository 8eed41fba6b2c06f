-- wrk script for Scripts/bench-proxy.sh: POSTs 10-event HTTP V2 bodies shaped like
-- analytics-browser's and prints one machine-readable RESULT line at the end.
-- Every request carries fresh insert_ids (as real SDKs send), so no request is a resend; 100
-- body shapes per thread (users, prices, items) are rotated.
--
-- Body shape: the first script argument (`wrk ... -s bench-proxy.lua URL -- realistic`) or the
-- BODY environment variable:
--   compact    (default) the body the earlier figures were measured with: about 7.0 KB (7 034
--              bytes on average; older docs called it "about 4 KB"), 10 events of about 700 bytes
--   realistic  about 13.8 KB per body (13 821 bytes on average), 10 events of about 1.4 KB:
--              page and product properties with nested objects and arrays, $set user
--              properties, plan, ingestion_metadata, unicode strings (München, 東京, São Paulo)
--              and escaped quotes

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local shapes = {}   -- each: list of 11 fixed parts around 10 insert_id holes
local heads = {}    -- per shape: the request head (its Content-Length is fixed per shape)
local n = 0
body_bytes = 0      -- mean body size over the shapes (read by done() through thread:get)
body_shape = "compact"

local salt = 0      -- per wrk run: the warm-up run and the measured run must not send the same ids

-- compact: the original 4 KB body (kept so that older figures stay comparable) -----------------

local types = { "Page Viewed", "Button Clicked", "Add To Cart", "Checkout Started", "Order Completed" }

-- Returns the event's JSON up to the opening quote of insert_id's value, and the rest after it.
local function compact_event(r, e)
  local pre = string.format(
    '{"user_id":"user-%05d","device_id":"device-%08x-%04x","session_id":1795000000000,"time":%d,' ..
    '"event_type":"%s","event_properties":{"button":"Buy now","price":%d.99,"currency":"EUR",' ..
    '"items":["sku-%d","sku-%d"],"page":{"path":"/checkout","title":"Checkout","referrer":"https://example.com/cart"}},' ..
    '"user_properties":{"plan":"pro","beta":true},"platform":"Web","os_name":"Chrome","os_version":"120",' ..
    '"device_model":"Linux","language":"en-US","ip":"$remote","event_id":%d,"library":"amplitude-ts/2.45.6",' ..
    '"user_agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",' ..
    '"insert_id":"',
    (tid * 100 + r) % 100000, tid, r, 1795000000000 + r * 10 + e, types[(e % #types) + 1], e * 3, r, e, r * 10 + e)
  return pre, '"}'
end

-- realistic: about 1.4 KB per event ------------------------------------------------------------

local places = {
  { city = "München", country = "DE", region = "Bayern", lang = "de-DE", domain = "shop.example.de",
    path = "/de/produkte/wanderschuh-alpspitze", title = "Wanderschuh „Alpspitze“ – Bergsport München",
    product = "Wanderschuh „Alpspitze“ GTX", cats = '["Schuhe","Wandern","Herren"]', color = "Schwarz/Grün",
    query = 'wanderschuh 44 \\"wasserdicht\\"', currency = "EUR" },
  { city = "東京", country = "JP", region = "東京都", lang = "ja-JP", domain = "shop.example.jp",
    path = "/ja/products/matcha-set", title = "抹茶セット「宇治」 – 東京オンラインストア",
    product = "抹茶セット「宇治」", cats = '["食品","お茶","ギフト"]', color = "緑",
    query = '抹茶 ギフト \\"限定\\"', currency = "JPY" },
  { city = "São Paulo", country = "BR", region = "São Paulo", lang = "pt-BR", domain = "loja.example.com.br",
    path = "/pt/produtos/cafe-especial", title = "Café especial “Mantiqueira” – Loja São Paulo",
    product = "Café especial “Mantiqueira” 1 kg", cats = '["Café","Grãos","Especiais"]', color = "Marrom",
    query = 'café em grãos \\"torra média\\"', currency = "BRL" },
  { city = "Zürich", country = "CH", region = "Zürich", lang = "de-CH", domain = "shop.example.ch",
    path = "/de/produkte/taschenmesser-alpin", title = "Taschenmesser „Alpin“ – Zürich Store",
    product = "Taschenmesser „Alpin“ 15 Funktionen", cats = '["Werkzeug","Outdoor","Geschenke"]', color = "Rot",
    query = 'taschenmesser \\"gravur\\"', currency = "CHF" },
}

local browsers = {
  { os = "Windows", osv = "10", model = "Windows", ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", name = "Chrome", v = "131.0.0.0" },
  { os = "Mac OS X", osv = "14.6", model = "Mac", ua = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15", name = "Safari", v = "17.6" },
  { os = "iOS", osv = "17.6.1", model = "iPhone", ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1", name = "Mobile Safari", v = "17.6" },
}

local rtypes = { "[Amplitude] Page Viewed", "Product Viewed", "[Amplitude] Element Clicked", "Product Added",
                 "Search Performed", "Checkout Started", "Cart Viewed", "Coupon Applied", "Order Completed",
                 "Newsletter Subscribed" }

local function realistic_event(r, e)
  local p = places[(r + tid) % #places + 1]
  local b = browsers[r % #browsers + 1]
  local price = (r * 37 + e * 11) % 400 + 9
  local qty = e % 3 + 1
  local user = (tid * 1000 + r) % 100000
  local pre = string.format(
    '{"user_id":"user-%05d","device_id":"%08x-%04x-4%03x-9%03x-%012x","session_id":%d,"time":%d,' ..
    '"platform":"Web","os_name":"%s","os_version":"%s","device_model":"%s","language":"%s","ip":"$remote",' ..
    '"insert_id":"',
    user, tid * 7919 + r, r, tid % 0x1000, r % 0x1000, r * 104729, 1795000000000 + r * 1000,
    1795000000000 + r * 1000 + e * 1731, b.name, b.v, b.model, p.lang)
  local post = string.format(
    '","event_type":"%s","event_id":%d,"library":"amplitude-ts/2.11.8","user_agent":"%s",' ..
    '"event_properties":{"[Amplitude] Page Domain":"%s","[Amplitude] Page Location":"https://%s%s?utm_source=nl",' ..
    '"[Amplitude] Page Path":"%s","[Amplitude] Page Title":"%s",' ..
    '"product":{"sku":"SKU-%06d","name":"%s","price":%d.95,"currency":"%s","categories":%s,' ..
    '"variant":{"size":"%d","color":"%s"}},' ..
    '"search_query":"%s"},' ..
    '"user_properties":{"$set":{"plan":"%s","city":"%s","country":"%s","newsletter":%s,' ..
    '"favorite_categories":%s}},' ..
    '"plan":{"branch":"main","source":"web","version":"12","versionId":"0d6b2c1e-8f4a-4c3b-9e7d-5a1f2b3c4d5e"},' ..
    '"ingestion_metadata":{"source_name":"ampli","source_version":"2.0.1"}}',
    rtypes[e], r * 10 + e, b.ua,
    p.domain, p.domain, p.path, p.path, p.title,
    r * 10 + e, p.product, price, p.currency, p.cats,
    36 + e, p.color,
    p.query,
    (r % 3 == 0) and "free" or "pro", p.city, p.country, (r % 2 == 0) and "true" or "false",
    p.cats)
  return pre, post
end

local function shape_from(args)
  local s = (args and args[1]) or os.getenv("BODY") or "compact"
  if s == "" or s == "default" or s == "4k" then s = "compact" end
  if s ~= "compact" and s ~= "realistic" then
    error("bench-proxy.lua: unknown body shape " .. s .. " (compact or realistic)")
  end
  return s
end

function init(args)
  salt = os.time() % 0x1000   -- the runs start seconds apart
  body_shape = shape_from(args)
  local event = (body_shape == "realistic") and realistic_event or compact_event
  local total = 0
  for r = 1, 100 do
    local parts = {}
    local rest = '{"api_key":"0123456789abcdef0123456789abcdef","events":['
    for e = 1, 10 do
      local pre, post = event(r, e)
      parts[e] = rest .. (e == 1 and "" or ",") .. pre
      rest = post
    end
    parts[11] = rest .. '],"options":{},"client_upload_time":"2026-11-22T18:06:05.928Z"}'
    shapes[r] = parts
    local len = 10 * 36
    for i = 1, 11 do len = len + #parts[i] end
    total = total + len
  end
  body_bytes = math.floor(total / 100)
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
  local bytes = threads[1] and threads[1]:get("body_bytes") or 0
  local shape = threads[1] and threads[1]:get("body_shape") or "?"
  io.write(string.format(
    "RESULT requests=%d duration_us=%d non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d bytes=%d body_bytes=%d body=%s\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, summary.bytes,
    bytes, shape))
end
