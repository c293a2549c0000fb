"""LMI job posting scanner: crawl postings, extract skills, aggregate demand, report gaps."""

__version__ = "0.1.0"
