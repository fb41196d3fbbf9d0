-- wrk script: POST the body in the file named by WRK_BODY, as JSON unless
-- WRK_TYPE names another Content-Type.
--   WRK_BODY=body.json wrk -s bench/post.lua http://127.0.0.1:PORT/path
-- The request is built once per thread; nothing runs per request.
local f = assert(io.open(assert(os.getenv("WRK_BODY"), "WRK_BODY unset"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = os.getenv("WRK_TYPE") or "application/json"
