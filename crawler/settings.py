"""Every Scrapy setting of the crawler, in one place. Polite by default.

The runner overrides some per crawl (e.g. `lmi.crawler.runner.LOCAL_FAST_SETTINGS` for a board
on 127.0.0.1); the user agent can be set with $LMI_USER_AGENT.
"""

import os

BOT_NAME = "lmi"
SPIDER_MODULES = ["lmi.crawler.spiders"]
NEWSPIDER_MODULE = "lmi.crawler.spiders"

# Identify ourselves and respect the site.


def user_agent(contact: str | None = None) -> str:
    """Identifying user agent: product, version and how to reach the operator."""
    return f"lmi-scanner/0.1 (+{contact or 'https://github.com/lmi-scanner; no contact set'})"


USER_AGENT = os.environ.get("LMI_USER_AGENT") or user_agent(os.environ.get("LMI_CONTACT"))
ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False     # Scrapy >= 2.14 would open a control port

# Pace: few parallel requests per site, adaptive delays, back off on errors.
CONCURRENT_REQUESTS = 16
CONCURRENT_ITEMS = 8                     # one posting per page: fewer parallel item tasks is faster
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024      # never download more than 10 MB for one page
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
REDIRECT_MAX_TIMES = 5                   # loops are caught earlier (problem "redirect_loop")
DEPTH_LIMIT = 50                         # listings paginate deep, but not forever
CLOSESPIDER_PAGECOUNT = 0                # 0 = no cap; the runner can set one

LOG_LEVEL = os.environ.get("LMI_CRAWL_LOG_LEVEL", "INFO")
LOG_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"

# Guards: allowed hosts only, back-off on 429/503, conditional requests, bad responses.
DOWNLOADER_MIDDLEWARES = {
    "lmi.crawler.middlewares.AllowedHostsMiddleware": 50,          # before robots.txt
    "lmi.crawler.middlewares.RetryAfterMiddleware": 560,           # sees 429/503 before Retry
    "lmi.crawler.conditional.ConditionalRequestMiddleware": 640,
    "lmi.crawler.middlewares.ResponseGuardMiddleware": 650,        # sees 3xx before Redirect
}
SPIDER_MIDDLEWARES = {
    "lmi.crawler.middlewares.CallbackErrorsMiddleware": 950,       # next to the spider
}

# Spiders parse, pipelines validate then store.
ITEM_PIPELINES = {
    "lmi.crawler.pipelines.ValidationPipeline": 100,
    "lmi.crawler.pipelines.WarehousePipeline": 800,
}

# Our own knobs (read by the spider and pipelines).
LMI_DB = None                 # DuckDB file; set by the runner
LMI_SOURCE_ID = None          # sources.source_id; set by the runner
LMI_RUN_ID = None             # crawl_runs.run_id; set by the runner
LMI_BATCH_SIZE = 100          # raw_postings rows written per transaction
LMI_PROGRESS_EVERY = 25       # one JSON progress line on stdout per this many items
LMI_PROGRESS_STDOUT = False   # the runner turns this on in its child process
LMI_ERROR_SAMPLES = 10        # problem samples kept per kind in crawl_runs.errors
LMI_ALLOW = None              # regex on URLs to follow in listing mode (default: same path prefix)
LMI_FAMILY = "jsonld"         # source family, recorded in `sources`
LMI_ALLOWED_DOMAINS: list[str] = []   # hosts (and their subdomains) to fetch; [] = start URL hosts
LMI_RETRY_AFTER_MAX = 120.0   # never pause a domain longer than this on 429/503 (seconds)
LMI_BACKOFF_DEFAULT = 5.0     # pause on 429/503 without a Retry-After header (seconds)
LMI_CONDITIONAL = True        # If-None-Match / If-Modified-Since for pages seen before
LMI_HTTP_VALIDATORS: dict = {}  # {url: [etag, last_modified, posting_key]}; set by the runner
LMI_REDIS_URL = None          # distributed mode: shared queue/dupefilter (set by the runner)
LMI_ROLE = "lead"             # distributed mode: lead (writes the warehouse) | worker


# Per-family politeness on top of the defaults (Scrapy ignores robots.txt Crawl-delay).
FAMILY_SETTINGS: dict[str, dict[str, object]] = {
    "jobbank": {"DOWNLOAD_DELAY": 5, "CONCURRENT_REQUESTS_PER_DOMAIN": 1},
}
