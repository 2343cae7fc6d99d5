#!/usr/bin/env python3
"""Python stdlib logging sample (layout k). Usage: python3 python_k.py OUT.log"""
import logging, random, sys, threading, time, queue

FMT = "%(asctime)s %(levelname)s [%(threadName)s] %(name)s - %(message)s"
NOTICE = 25
logging.addLevelName(NOTICE, "NOTICE")

class ContextFilter(logging.Filter):
    """adds user/requestId attributes (unused by FMT, the equivalent of MDC)"""
    local = threading.local()
    def filter(self, rec):
        rec.user = getattr(self.local, "user", ""); rec.requestId = getattr(self.local, "rid", "")
        return True

class RestProcessingError(Exception): pass
class ConnectionTimeout(Exception): pass

def find(id_):
    raise ConnectionTimeout("HikariPool-1 - Connection is not available, request timed out after 30000ms.")

def load(id_):
    try:
        return find(id_)
    except ConnectionTimeout as e:
        raise RestProcessingError(f"Failed to load data card incident/{id_}") from e

USERS = ["CRM_SYNC", "jdoe", "svc_monitoring"]; IPS = ["10.20.0.10", "192.168.14.52", "10.20.3.77"]
rnd = random.Random(42)
rest = logging.getLogger("com.efecte.rest.RestApiLogger")

def request():
    u = rnd.randrange(3); user, ip = USERS[u], IPS[u]; p = rnd.randrange(10); id_ = 10000 + rnd.randrange(5000)
    pick = rnd.choice
    if p < 2: m, path, st = "POST", "/rest-api/itsm/v1/users/login", 401 if rnd.randrange(4) == 0 else 200
    elif p < 5: m, path, st = "GET", f"/rest-api/itsm/v1/dc/incident/data/{id_}", pick([200, 200, 200, 404, 429, 500])
    elif p < 7: m, path, st = "PUT", f"/rest-api/itsm/v1/dc/incident/data/{id_}", pick([200, 200, 404, 500])
    elif p < 8: m, path, st = "POST", "/rest-api/itsm/v1/dc/incident/data", pick([201, 201, 201, 429])
    elif p < 9: m, path, st = "GET", "/rest-api/itsm/v1/dc/servicerequest/data?filter=status%20eq%20%27Open%27&limit=50", pick([200, 200, 429])
    else: m, path, st = "GET", "/rest-api/itsm/v1/templates", 200
    dur = 2 + rnd.randrange(5) if st == 429 else 1000 + rnd.randrange(29000) if st == 500 else 12 + rnd.randrange(900)
    ContextFilter.local.user = user; ContextFilter.local.rid = "%08x" % rnd.getrandbits(32)
    n = 0
    if rnd.randrange(3) == 0:
        logging.getLogger("com.efecte.esm.auth.TokenValidator").debug("Validated bearer token for %s (expires in %ds)", user, 60 + rnd.randrange(3500)); n += 1
    lvl = logging.ERROR if st >= 500 else logging.WARNING if st >= 400 else logging.INFO
    rest.log(lvl, "user=%s ip=%s method=%s path=%s status=%d duration=%dms", user, ip, m, path, st, dur); n += 1
    if st == 429 and rnd.random() < 0.5:
        logging.getLogger("com.efecte.rest.RateLimiter").log(NOTICE, "Rate limit exceeded for %s, retry after 60s", user); n += 1
    return n

def failing():
    u = rnd.randrange(3); id_ = 10000 + rnd.randrange(5000); path = f"/rest-api/itsm/v1/dc/incident/data/{id_}"
    try:
        load(id_)
    except RestProcessingError:
        logging.getLogger("com.efecte.esm.IncidentController").exception("Unhandled exception while processing GET %s", path)
    rest.error("user=%s ip=%s method=GET path=%s status=500 duration=%dms", USERS[u], IPS[u], path, 30000 + rnd.randrange(200))
    return 2

def job():
    logging.getLogger("com.efecte.esm.scheduler.SyncJob").log(NOTICE, "CRM synchronization started (batch=%d)", 100 + rnd.randrange(400))
    logging.getLogger("org.hibernate.SQL").debug("select d.id, d.template_code, d.modified from datacard d where d.modified > ? order by d.id")
    return 2

def worker(q):
    while True:
        fn, res = q.get()
        if fn is None: return
        res.put(fn())

def main(out, entries=150):
    h = logging.FileHandler(out, mode="w", encoding="utf-8")
    h.setFormatter(logging.Formatter(FMT)); h.addFilter(ContextFilter())
    root = logging.getLogger(); root.setLevel(logging.DEBUG); root.addHandler(h)
    names = [f"http-nio-8443-exec-{n}" for n in (1, 3, 7, 10, 12)] + ["scheduling-1"]
    qs = {}
    for nm in names:
        qs[nm] = queue.Queue(); threading.Thread(target=worker, args=(qs[nm],), name=nm, daemon=True).start()
    def on(nm, fn):
        r = queue.Queue(); qs[nm].put((fn, r)); return r.get()
    logging.getLogger("com.efecte.esm.Server").info("Starting Matrix42 ESM REST API 2024.3.1 on port 8443")
    logging.getLogger("com.efecte.esm.config.ConfigLoader").debug("Loaded REST API configuration:\n  maxThreads=200\n  connectionTimeout=30000\n  rateLimit=100/min")
    count, next_err, next_job = 2, 15, 5
    while count < entries:
        time.sleep(rnd.randrange(40) / 1000)
        if count >= next_err: next_err += 30; count += on(rnd.choice(names[:5]), failing)
        elif count >= next_job: next_job += 23; count += on("scheduling-1", job)
        else: count += on(rnd.choice(names[:5]), request)
    logging.getLogger("com.efecte.esm.Server").warning("Shutting down REST API connector [https-jsse-nio-8443]")
    logging.shutdown()

if __name__ == "__main__":
    main(sys.argv[1])
