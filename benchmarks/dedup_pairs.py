"""Generate the labelled posting-pair set for `lmi eval dedup` (deterministic, seeded).

    .venv/bin/python benchmarks/dedup_pairs.py            # writes both halves
    .venv/bin/python benchmarks/dedup_pairs.py --pairs 600 --split tune --out /tmp/t.jsonl

Two halves come from different seeds and disjoint employer/agency name pools:
`benchmarks/data/dedup_pairs.tune.jsonl` (thresholds were set on it) and
`benchmarks/data/dedup_pairs.jsonl` (the report half; figures in docs/dedup.md come from it).
Each line: {"case", "label" (1 = duplicate), "a", "b"} with posting dicts. See docs/dedup.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dedup_pairs_text import (  # noqa: E402
    ABOUT,
    AGENCIES,
    AGENCY_INTROS,
    AGENCY_OUTROS,
    APPLY,
    BENEFITS,
    CITIES,
    EEO,
    EMPLOYERS,
    GENERIC,
    SECTORS,
    SUMMARIES,
    TEAMS,
    UNION,
)

DATA = Path(__file__).resolve().parent / "data"
SEEDS = {"tune": 101, "report": 202}
# Share of pairs per case; labels: 1 duplicate, 0 not.
CASES: dict[str, tuple[float, int]] = {
    "exact_copy": (0.11, 1), "url_variant": (0.07, 1), "repost": (0.17, 1),
    "agency_copy": (0.16, 1), "multi_location": (0.13, 0), "same_employer_other_team": (0.13, 0),
    "generic_title_other_employer": (0.13, 0), "boilerplate_hard_negative": (0.10, 0),
}
BOARDS = {
    "jobbank": "https://www.jobbank.gc.ca/jobsearch/jobposting/{n}?source=searchresults",
    "indeed": "https://ca.indeed.com/viewjob?jk={h}&from=serp&vjs=3&utm_campaign=google_jobs",
    "linkedin": "https://www.linkedin.com/jobs/view/{n}/?trackingId={h}&refId={h2}",
    "talent": "https://ca.talent.com/view?id={h}&utm_source=feed&utm_medium=xml",
    "eluta": "https://www.eluta.ca/spl/{slug}-{h}?imo=1&ref=rss",
    "workday": "https://{emp}.wd3.myworkdayjobs.com/en-US/careers/job/{slug}_R{n}?source=LinkedIn",
    "greenhouse": "https://boards.greenhouse.io/{emp}/jobs/{n}?gh_src={h2}",
}


class Gen:
    """Seeded generator of realistic Canadian postings and labelled pairs."""

    def __init__(self, seed: int, split: str):
        self.r = random.Random(seed)
        self.split = split
        part = 0 if split == "tune" else 1
        self.employers = {s: v[part::2] for s, v in EMPLOYERS.items()}
        self.agencies = AGENCIES[part::2]
        self.n = 0

    # -- building blocks -------------------------------------------------------------------
    def pick(self, seq: list[Any], k: int | None = None) -> Any:
        return self.r.choice(seq) if k is None else self.r.sample(seq, min(k, len(seq)))

    def city(self) -> tuple[str, str, str]:
        return self.pick(CITIES)

    def job(self, sector: str | None = None, employer: str | None = None,
            title: str | None = None, place: tuple[str, str, str] | None = None) -> dict[str, Any]:
        """A job spec: everything a posting is rendered from."""
        sector = sector or self.pick(sorted(SECTORS))
        sec = SECTORS[sector]
        hourly = sec["pay"][0] < 200
        lo = self.r.uniform(*sec["pay"])
        return {
            "sector": sector, "employer": employer or self.pick(self.employers[sector]),
            "title": title or self.pick(sec["titles"]), "place": place or self.city(),
            "summary": self.pick(SUMMARIES), "team": self.pick(TEAMS.get(sector, ["operations"])),
            "duties": self.pick(sec["duties"], self.r.randint(5, 8)),
            "quals": self.pick(sec["quals"], self.r.randint(4, 6)),
            "benefits": self.pick(BENEFITS, self.r.randint(3, 6)),
            "about": self.pick(ABOUT), "eeo": self.pick(EEO), "apply": self.pick(APPLY),
            "years": self.r.randint(8, 120), "staff": self.r.choice([40, 120, 350, 900, 2500]),
            "pay": (round(lo, 2), round(lo * self.r.uniform(1.05, 1.3), 2), hourly),
            "date": dt.date(2025, 1, 6) + dt.timedelta(days=self.r.randint(0, 300)),
            "layout": self.r.choice(["sections", "indeed", "plain", "public"]),
            "union": self.r.random() < 0.3, "html": self.r.random() < 0.6,
            "req": self.r.randint(10000, 999999),
        }

    def pay_text(self, job: dict[str, Any]) -> str:
        lo, hi, hourly = job["pay"]
        return f"${lo:.2f} - ${hi:.2f} per hour" if hourly else f"${lo:,.0f} - ${hi:,.0f} per year"

    def render(self, job: dict[str, Any]) -> str:
        """Description text (HTML or plain) in one of several board/ATS layouts."""
        city = job["place"][0]
        fill = {"employer": job["employer"], "city": city, "title": job["title"],
                "team": job["team"], "years": job["years"], "staff": job["staff"],
                "sector": job["sector"], "date": job["date"].strftime("%B %d, %Y")}
        about = job.get("about_text") or job["about"].format(**fill)
        summary = job["summary"].format(**fill)
        blocks: list[tuple[str, list[str] | str]] = []
        if job["layout"] == "indeed":
            blocks += [("", summary), ("Responsibilities:", job["duties"]),
                       ("Requirements:", job["quals"]), ("", about),
                       ("", f"Job Type: Full-time\nPay: {self.pay_text(job)}"),
                       ("Benefits:", job["benefits"]), ("", "Schedule: Monday to Friday\n"
                                                           "Work Location: In person")]
        elif job["layout"] == "public":
            blocks += [("Position overview", summary), ("Key duties", job["duties"]),
                       ("Education and experience", job["quals"]),
                       ("About us", about), ("Salary", self.pay_text(job)),
                       ("Closing date", fill["date"])]
        else:
            blocks += [(f"About {job['employer']}" if job["layout"] == "sections" else "", about),
                       ("The opportunity", summary), ("What you will do", job["duties"]),
                       ("What you bring", job["quals"]), ("What we offer", job["benefits"]),
                       ("Compensation", self.pay_text(job))]
        if job["union"]:
            blocks.append(("", UNION.format(**fill)))
        blocks += [("", job.get("eeo_text") or job["eeo"].format(**fill)),
                   ("", job.get("apply_text") or job["apply"].format(**fill))]
        return _to_html(blocks) if job["html"] else _to_plain(blocks)

    def url(self, board: str, job: dict[str, Any]) -> str:
        """A fresh URL for the job on a board, with the board's usual tracking parameters."""
        slug = "-".join(job["title"].lower().replace("/", " ").split())
        return BOARDS[board].format(
            n=self.r.randint(10**6, 10**8), h=f"{self.r.getrandbits(48):x}",
            h2=f"{self.r.getrandbits(32):x}", slug=slug,
            emp="".join(c for c in job["employer"].lower() if c.isalnum()))

    def posting(self, job: dict[str, Any], board: str | None = None, *,
                loc_style: int | None = None, employer: str | None = None) -> dict[str, Any]:
        """A posting dict from a job spec on a board."""
        self.n += 1
        board = board or self.pick(sorted(BOARDS))
        city, prov, prov_name = job["place"]
        emp = job["employer"] if employer is None else employer
        url = self.url(board, job)
        style = self.r.randint(0, 3) if loc_style is None else loc_style
        loc = [f"{city}, {prov}", f"{city}, {prov_name}", f"{city} {prov}",
               f"Hybrid remote in {city}, {prov}"][style]
        post = {"posting_id": f"{self.split}-{self.n:05d}", "source_id": board, "url": url,
                "identifier": f"{board[:2].upper()}{self.r.randint(10**5, 10**7)}",
                "title": job["title"], "employer": emp, "description": self.render(job),
                "date_posted": job["date"].isoformat(), "location_raw": loc}
        if self.r.random() < 0.6:
            post.update(city=city, province=prov)
        return post

    # -- cases -----------------------------------------------------------------------------
    def exact_copy(self) -> tuple[dict, dict]:
        job = self.job()
        a = self.posting(job)
        other = self.pick([b for b in sorted(BOARDS) if b != a["source_id"]])
        copy = dict(job, html=not job["html"])
        b = self.posting(copy, other, employer=self._legal_variant(job["employer"]))
        b["date_posted"] = (job["date"] + dt.timedelta(days=self.r.randint(0, 3))).isoformat()
        return a, b

    def url_variant(self) -> tuple[dict, dict]:
        job = self.job()
        a = self.posting(job, self.pick(["indeed", "linkedin", "talent", "eluta", "jobbank"]))
        b = dict(a, posting_id=f"{self.split}-{self.n + 1:05d}")
        self.n += 1
        if self.r.random() < 0.5:  # same page seen through other tracking parameters
            b["url"] = _retrack(a["url"], self.r)
            b["identifier"] = None if self.r.random() < 0.5 else a["identifier"]
        else:  # URL changed (new slug/id), same board identifier
            b["url"] = self.url(a["source_id"], job)
        if self.r.random() < 0.5:  # content updated in between: new salary and one bullet less
            edited = dict(job, pay=(job["pay"][0] + 1, job["pay"][1] + 1, job["pay"][2]),
                          duties=job["duties"][:-1])
            b["description"] = self.render(edited)
        return a, b

    def repost(self) -> tuple[dict, dict]:
        job = self.job()
        a = self.posting(job)
        new = dict(job, date=job["date"] + dt.timedelta(days=self.r.randint(14, 90)))
        edits = self.r.sample(["salary", "add", "remove", "reorder", "reword", "title", "layout"],
                              self.r.randint(1, 3))
        for edit in edits:
            if edit == "salary":
                f = self.r.uniform(1.03, 1.15)
                new["pay"] = (round(new["pay"][0] * f, 2), round(new["pay"][1] * f, 2),
                              new["pay"][2])
            elif edit == "add":
                extra = [d for d in SECTORS[job["sector"]]["duties"] if d not in new["duties"]]
                new["duties"] = new["duties"] + self.pick(extra, self.r.randint(1, 2))
            elif edit == "remove":
                new["duties"] = new["duties"][:-1]
                new["quals"] = new["quals"][1:] if self.r.random() < 0.5 else new["quals"]
            elif edit == "reorder":
                new["duties"] = self.r.sample(new["duties"], len(new["duties"]))
            elif edit == "reword":
                new["summary"] = self.pick(SUMMARIES)
            elif edit == "title":
                new["title"] = job["title"] + self.pick([" - Immediate Start", " (Full-Time)",
                                                         " - Permanent", " - Urgently Hiring"])
            else:
                new["html"] = not new["html"]
        return a, self.posting(new, a["source_id"] if self.r.random() < 0.6 else None)

    def agency_copy(self) -> tuple[dict, dict]:
        job = self.job()
        a = self.posting(job)
        agency = self.pick(self.agencies)
        fill = {"agency": agency, "city": job["place"][0], "title": job["title"],
                "sector": job["sector"], "employer": job["employer"]}
        copy = dict(job, about_text=self.pick(AGENCY_INTROS).format(**fill),
                    eeo_text=self.pick(AGENCY_OUTROS).format(**fill), apply_text=" ",
                    layout=self.pick(["sections", "plain", "indeed"]), html=self.r.random() < 0.5)
        if self.r.random() < 0.5:
            copy["duties"] = self.r.sample(job["duties"], len(job["duties"]) - 1)
        if self.r.random() < 0.5:
            copy["benefits"] = job["benefits"][:2]
        if self.r.random() < 0.3:
            copy["title"] = job["title"] + self.pick([" (Contract)", " - Permanent Role",
                                                      " - Temp to Perm"])
        employer = self.pick(["Confidential", "", agency, agency, "Confidential Employer"])
        b = self.posting(copy, employer=employer)
        b["date_posted"] = (job["date"] + dt.timedelta(days=self.r.randint(0, 20))).isoformat()
        return a, b

    def multi_location(self) -> tuple[dict, dict]:
        job = self.job()
        a = self.posting(job)
        same_prov = [c for c in CITIES if c[1] == job["place"][1] and c != job["place"]]
        place = self.pick(same_prov) if same_prov and self.r.random() < 0.7 else \
            self.pick([c for c in CITIES if c != job["place"]])
        b = self.posting(dict(job, place=place), a["source_id"] if self.r.random() < 0.7 else None)
        return a, b

    def same_employer_other_team(self) -> tuple[dict, dict]:
        job = self.job()
        sec = SECTORS[job["sector"]]
        keep = self.r.randint(0, 2)
        duties = job["duties"][:keep] + self.pick(
            [d for d in sec["duties"] if d not in job["duties"]], self.r.randint(4, 6))
        quals = job["quals"][: self.r.randint(1, 3)] + self.pick(
            [q for q in sec["quals"] if q not in job["quals"]], 2)
        teams = [t for t in TEAMS.get(job["sector"], ["operations", "client services"])
                 if t != job["team"]]
        other = dict(job, duties=duties, quals=quals, summary=self.pick(SUMMARIES),
                     team=self.pick(teams), req=job["req"] + self.r.randint(1, 500),
                     date=job["date"] + dt.timedelta(days=self.r.randint(0, 30)))
        return self.posting(job), self.posting(other)

    def generic_title_other_employer(self) -> tuple[dict, dict]:
        title, pool = self.pick(GENERIC)
        sector = pool["sector"]
        e1, e2 = self.pick(self.employers[sector], 2)
        place = self.city()
        layout = self.pick(["indeed", "plain", "sections"])
        common = self.pick(pool["duties"], 5)
        jobs = []
        for emp in (e1, e2):
            job = self.job(sector, emp, title, place)
            rest = [d for d in pool["duties"] if d not in common]
            job.update(layout=layout, duties=common[: self.r.randint(3, 5)] + self.pick(rest, 2),
                       quals=self.pick(pool["quals"], 4), html=False,
                       benefits=BENEFITS[:4], eeo=EEO[0], apply=APPLY[0])
            jobs.append(job)
        a = self.posting(jobs[0], "indeed")
        hidden = self.r.random() < 0.2
        b = self.posting(jobs[1], "indeed", employer="Confidential" if hidden else None)
        return a, b

    def boilerplate_hard_negative(self) -> tuple[dict, dict]:
        job = self.job()
        sec = SECTORS[job["sector"]]
        base = job["title"].split(" - ")[0]
        job.update(benefits=BENEFITS[:8], union=True, about=ABOUT[0], layout="sections")
        t1, t2 = self.pick(sec.get("variants", [""]) + ["", " - Evenings", " - Weekends"], 2)
        other_duties = self.pick([d for d in sec["duties"] if d not in job["duties"]], 4)
        a = self.posting(dict(job, title=base + t1, duties=job["duties"][:4]))
        b = self.posting(dict(job, title=base + t2, duties=other_duties,
                              summary=self.pick(SUMMARIES), quals=self.pick(sec["quals"], 4)))
        return a, b

    @staticmethod
    def _legal_variant(name: str) -> str:
        for suffix in (" Inc.", " Ltd.", " Corp.", " Ltée"):
            if name.endswith(suffix):
                return name[: -len(suffix)]
        return name + " Inc."

    def pairs(self, total: int) -> list[dict[str, Any]]:
        """`total` labelled pairs in the case proportions of CASES, shuffled."""
        out = []
        for case, (share, label) in CASES.items():
            for _ in range(round(total * share)):
                a, b = getattr(self, case)()
                out.append({"case": case, "label": label, "a": a, "b": b})
        self.r.shuffle(out)
        return out


def _retrack(url: str, r: random.Random) -> str:
    base = url.split("?")[0]
    query = url.split("?")[1] if "?" in url else ""
    keep = [p for p in query.split("&") if p and not p.split("=")[0].startswith(
        ("utm_", "trackingId", "refId", "from", "vjs", "ref", "source", "imo"))]
    extra = [f"utm_source={r.choice(['google', 'newsletter', 'facebook'])}",
             f"fbclid={r.getrandbits(40):x}", f"gclid={r.getrandbits(40):x}", "ref=share"]
    params = keep + r.sample(extra, 2)
    return ("HTTPS://" + base.split("://", 1)[1].replace("www.", "WWW.", 1) + "/?"
            + "&".join(params) + "#apply")


def _to_html(blocks: list[tuple[str, list[str] | str]]) -> str:
    out = []
    for head, body in blocks:
        if head:
            out.append(f"<h3>{head}</h3>")
        if isinstance(body, list):
            out.append("<ul>" + "".join(f"<li>{x}</li>" for x in body) + "</ul>")
        elif body.strip():
            out.append("".join(f"<p>{line}</p>" for line in body.split("\n")))
    return "\n".join(out)


def _to_plain(blocks: list[tuple[str, list[str] | str]]) -> str:
    out = []
    for head, body in blocks:
        if head:
            out.append(head.rstrip(":") + ":")
        if isinstance(body, list):
            out.extend(f"• {x}" for x in body)
        elif body.strip():
            out.append(body)
        out.append("")
    return "\n".join(out).strip()


def generate(split: str, pairs: int, seed: int | None = None) -> list[dict[str, Any]]:
    """The labelled pairs of one half (`tune` or `report`)."""
    return Gen(SEEDS[split] if seed is None else seed, split).pairs(pairs)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=1200, help="pairs per half")
    ap.add_argument("--split", choices=["tune", "report", "both"], default="both")
    ap.add_argument("--out", type=Path, help="output file (single split only)")
    args = ap.parse_args(argv)
    for split in (["tune", "report"] if args.split == "both" else [args.split]):
        path = args.out or DATA / ("dedup_pairs.tune.jsonl" if split == "tune"
                                   else "dedup_pairs.jsonl")
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = generate(split, args.pairs)
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{split}: {len(rows)} pairs -> {path}")


if __name__ == "__main__":
    main()
