"""Scrapy baseline for the Fleetcrawl crawl-speed benchmark.

Self-contained: run with

    /usr/bin/python3 -m scrapy runspider site_spider.py -a seeds=SEEDFILE -O items.jsonl

It crawls the generated bench site from the seed URLs, stays on the seeds'
hosts, obeys robots.txt, and emits one {url, status} item per fetched page,
mirroring what Fleetcrawl writes to pages.jsonl.

Settings aim at "polite but fast" so the comparison is fair to Scrapy: no
download delay, no autothrottle, a per-host concurrency cap like a polite
crawler's. Every setting below can be overridden with `-s NAME=VALUE`
(command-line settings outrank custom_settings), which is how
crawl-bench.sh passes its env vars.
"""

from urllib.parse import urlsplit

import scrapy
from scrapy.linkextractors import LinkExtractor


class SiteSpider(scrapy.Spider):
    name = "bench_site"

    custom_settings = {
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": 64,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "CONCURRENT_REQUESTS_PER_IP": 0,  # 0 = use the per-domain cap, as a crawler would per host
        "DOWNLOAD_DELAY": 0,
        "RANDOMIZE_DOWNLOAD_DELAY": False,
        "AUTOTHROTTLE_ENABLED": False,
        # Scrapy runs well under 1000 pages/s, so a page cap keeps the run short;
        # closing is not instant: requests in flight still finish and are counted.
        "CLOSESPIDER_PAGECOUNT": 3000,
        "LOG_LEVEL": "WARNING",
        # Nothing in the bench needs these; they would only add work or open ports.
        "TELNETCONSOLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        # The site is static and local: a retry would only hide a broken server.
        "RETRY_ENABLED": False,
        "DOWNLOAD_TIMEOUT": 30,
        "USER_AGENT": "scrapy-bench (+fleetcrawl crawl-bench)",
        # Scrapy 2.8 warns about the old default fingerprinter on every run.
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }

    def __init__(self, seeds=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not seeds:
            raise ValueError("pass the seed file with -a seeds=FILE")
        with open(seeds, encoding="utf-8") as f:
            self.start_urls = [line.strip() for line in f if line.strip() and not line.startswith("#")]
        # OffsiteMiddleware matches request hostnames (port ignored), which is
        # exactly the "only the site's hosts" restriction the benchmark wants.
        # LinkExtractor(allow_domains=...) is not used for this: in Scrapy 2.8
        # it compares against host:port and would drop every link.
        self.allowed_domains = sorted({urlsplit(u).hostname for u in self.start_urls})
        self.link_extractor = LinkExtractor(unique=True)

    def parse(self, response):
        yield {"url": response.url, "status": response.status}
        for link in self.link_extractor.extract_links(response):
            yield response.follow(link, callback=self.parse)
