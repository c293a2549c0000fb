"""Companion skills of credentials from the posting-level aggregates (job_skills), as sparse
matrix products: the same rows as sql/reports/credential_coskills.sql, for any filter.

With S the filtered sample's jobs x skills 0/1 matrix and M the skills x credentials mapping,
R = [S M > 0] marks the jobs reaching each credential; R^T S counts, per credential, the
reaching jobs that mention each skill; S's column sums are each skill's jobs.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
from scipy import sparse

from lmi.warehouse.filters import sql_params
from lmi.warehouse.reports import run, run_arrays

Row = dict[str, Any]


def _job_matrix(job: np.ndarray, skill: np.ndarray, n_skills: int) -> sparse.csr_matrix:
    """Jobs x skills 0/1 matrix from distinct (job, skill) pairs, one row per job.

    job_skills is stored with each job's pairs together, so the rows are the runs of equal job
    numbers (checked: no job starts two runs); otherwise the pairs are grouped first.
    """
    starts = np.flatnonzero(np.r_[True, job[1:] != job[:-1]]) if job.size else job
    if job.size and np.bincount(job[starts]).max() > 1:
        _, row = np.unique(job, return_inverse=True)
        return sparse.csr_matrix((np.ones(job.size, dtype=np.int32), (row, skill)),
                                 shape=(int(row.max()) + 1, n_skills))
    return sparse.csr_matrix((np.ones(job.size, dtype=np.int32), skill, np.r_[starts, job.size]),
                             shape=(starts.size, n_skills))


def companion_skills(con: duckdb.DuckDBPyConnection, params: dict[str, Any], *, level: int,
                     per: int = 5, min_lift: float = 1.2, min_jobs: int = 1) -> list[Row]:
    """Per credential the `per` most frequent unmapped skills with lift >= min_lift.

    Rows (credential_id, framework_id, skill_id, label, jobs, lift) ordered by credential and
    rank, exactly as credential_coskills.sql with sample_mod = 2^level on fresh aggregates.
    """
    bound = {**sql_params(params), "min_level": level, "use_aggregates": False}
    total = run(con, "jobs_sample_total", bound)[0]["jobs"]
    codes = run_arrays(con, "jobs_skill_codes", {})
    mapping = run_arrays(con, "jobs_credential_skills", {})
    if not total or not codes["skill"].size or not mapping["skill"].size:
        return []
    n_skills = int(codes["skill"].max()) + 1
    credentials, column = np.unique(mapping["credential_id"], return_inverse=True)
    mapped = sparse.csr_matrix((np.ones(column.size, dtype=np.int32), (mapping["skill"], column)),
                               shape=(n_skills, credentials.size))
    pairs = run_arrays(con, "jobs_sample_pairs", bound)
    jobs = _job_matrix(pairs["job"], pairs["skill"], n_skills)
    reached = jobs @ mapped
    reached.data[:] = 1
    reach = np.asarray(reached.sum(axis=0)).ravel()
    co = (reached.T.tocsr() @ jobs).toarray()
    overall = np.bincount(pairs["skill"], minlength=n_skills)
    co[mapped.T.toarray() > 0] = 0            # only skills the credential is not mapped to
    by_code = {int(c): i for i, c in enumerate(codes["skill"].tolist())}
    rank = np.zeros(n_skills, dtype=np.int64)
    rank[codes["skill"]] = codes["id_rank"]
    out: list[Row] = []
    for c, credential_id in enumerate(credentials.tolist()):
        if not reach[c]:
            continue
        found = np.flatnonzero(co[c])
        lift = (co[c, found] / reach[c]) / (overall[found] / total)
        keep = (co[c, found] >= min_jobs) & (lift >= min_lift)
        found, lift = found[keep], lift[keep]
        order = np.lexsort((rank[found], -co[c, found]))[:per]
        for i in order.tolist():
            k = by_code[int(found[i])]
            out.append({"credential_id": credential_id,
                        "framework_id": codes["framework_id"][k],
                        "skill_id": codes["skill_id"][k], "label": codes["label"][k],
                        "jobs": int(co[c, found[i]]), "lift": float(lift[i])})
    return out
