"""`lmi frameworks`: import competency frameworks (ESCO, O*NET, a provider's own), list them,
load occupation crosswalks and show each skill's equivalents in the other frameworks."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from lmi.cli.common import DEFAULT_DB, DbOption, FormatOption
from lmi.cli.output import Format, console, err_console, fail, render
from lmi.cli.progress import progress_bar
from lmi.warehouse.db import session

frameworks_app = typer.Typer(
    help="Competency frameworks: import, list, crosswalk, and equivalent skills across them.",
    no_args_is_help=True)
COLUMNS = ["id", "name", "version", "skills", "imported_at"]


class Kind(StrEnum):
    esco = "esco"
    provider = "provider"
    onet = "onet"
    starter = "starter"


def _import(con: Any, kind: Kind, path: Path | None, framework_id: str | None,
            name: str | None, version: str | None) -> dict[str, Any]:
    from lmi.nlp import frameworks as fw

    if kind is Kind.esco:
        return fw.import_esco(con, path, version=version)
    if kind is Kind.onet:
        return fw.import_onet_technology(con, path, version=version)
    if kind is Kind.starter:
        return fw.import_starter(con, path)
    default_id = "provider:" + re.sub(r"[^a-z0-9_-]+", "-", path.stem.lower()).strip("-")
    return fw.import_provider(con, path, framework_id=framework_id or default_id,
                              name=name, version=version)


def _embed(con: Any, framework_id: str) -> None:
    from lmi.nlp.embeddings import LabelIndex, get_encoder

    with progress_bar(f"embedding {framework_id} labels", unit="labels") as update:
        LabelIndex.build(con, framework_id, get_encoder(), progress=update)


@frameworks_app.command("import")
def import_cmd(
    kind: Annotated[Kind, typer.Argument(help="esco | provider | onet | starter")],
    path: Annotated[Path | None, typer.Argument(
        help="ESCO CSV folder or .zip; provider .csv/.json; O*NET folder or "
             "'Technology Skills.txt'. Not needed for starter.")] = None,
    framework_id: Annotated[str | None, typer.Option(
        "--id", help="Provider framework id (default provider:<file stem>).")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Display name (provider).")] = None,
    version: Annotated[str | None, typer.Option(
        "--version", help="Framework version (default: guessed from the path or file).")] = None,
    embed: Annotated[bool, typer.Option(
        "--embed/--no-embed", help="Precompute label embeddings now (ESCO: several minutes).")
    ] = True,
    fmt: FormatOption = Format.table,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Import a framework into the warehouse; re-importing replaces its skills.

    Examples:

        lmi frameworks import esco ../shared/data/esco-1.1.1

        lmi frameworks import esco "ESCO dataset - v1.1.1 - classification - en - csv.zip"

        lmi frameworks import onet ../shared/data/onet-29.3 --no-embed

        lmi frameworks import provider my_skills.csv --id provider:acme --name "Acme skills"

        lmi frameworks import starter
    """
    if kind is not Kind.starter and path is None:
        raise fail(f"`lmi frameworks import {kind}` needs a PATH")
    if path is not None and not path.exists():
        raise fail(f"no such file or folder: {path}")
    with session(db) as con:
        try:
            row = _import(con, kind, path, framework_id, name, version)
        except (ValueError, FileNotFoundError, KeyError) as exc:
            raise fail(str(exc)) from exc
        if embed:
            _embed(con, row["id"])
    render([row], fmt, title="Imported framework", columns=COLUMNS + ["source_path"])


@frameworks_app.command("list")
def list_cmd(fmt: FormatOption = Format.table, db: DbOption = DEFAULT_DB) -> None:
    """List the loaded frameworks.

    Examples:

        lmi frameworks list

        lmi frameworks list --format json
    """
    from lmi.nlp.frameworks import list_frameworks

    with session(db) as con:
        rows = list_frameworks(con)
    render(rows, fmt, title="Frameworks", columns=COLUMNS)


CROSSWALK_COLUMNS = ["crosswalk_id", "source_framework", "target_framework", "pairs",
                     "source_codes", "source_codes_with_skills", "target_codes",
                     "target_codes_with_skills"]


class Match(StrEnum):
    same_label = "same_label"
    close = "close"
    related = "related"


@frameworks_app.command("crosswalk")
def crosswalk_cmd(
    path: Annotated[Path | None, typer.Argument(
        help="Crosswalk CSV: Nesta ESCO->O*NET (concept_uri, onet_code, confidence), "
             "NOC->O*NET (noc, onet) or generic (source_framework, source_code, "
             "target_framework, target_code[, confidence]). Omit to list loaded crosswalks.")
    ] = None,
    crosswalk_id: Annotated[str | None, typer.Option(
        "--id", help="Crosswalk id (default: the file stem); re-loading an id replaces it.")
    ] = None,
    fmt: FormatOption = Format.table,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Load an occupation crosswalk between two frameworks, or list the loaded ones.

    Occupations that the crosswalk pairs, and that ask for a skill in each framework (ESCO's
    occupation-skill relations, O*NET technologies per occupation), are the evidence shown
    beside each equivalent by `lmi frameworks equivalents` and `lmi frameworks show`.

    Examples:

        lmi frameworks crosswalk ../shared/data/crosswalks/esco_onet_crosswalk_MCC.csv

        lmi frameworks crosswalk my_crosswalk.csv --id acme-to-esco

        lmi frameworks crosswalk --format json
    """
    from lmi.nlp.crosswalks import import_crosswalk, list_crosswalks

    if path is not None and not path.is_file():
        raise fail(f"no such file: {path}")
    with session(db) as con:
        if path is not None:
            try:
                import_crosswalk(con, path, crosswalk_id=crosswalk_id)
            except ValueError as exc:
                raise fail(str(exc)) from exc
        found = list_crosswalks(con)
    render(found, fmt, title="Occupation crosswalks", columns=CROSSWALK_COLUMNS)


@frameworks_app.command("match")
def match_cmd(
    framework_a: Annotated[str, typer.Argument(help="A loaded framework id, e.g. esco.")],
    framework_b: Annotated[str, typer.Argument(help="Another loaded framework id, e.g. onet.")],
    top: Annotated[int, typer.Option(
        "--top", min=1, max=20, help="Equivalents kept per skill, each direction.")] = 3,
    min_similarity: Annotated[float, typer.Option(
        "--min-similarity", min=0.0, max=1.0,
        help="Lowest label cosine kept (below 0.75 pairs are mostly wrong; docs/frameworks.md).")
    ] = 0.75,
    fmt: FormatOption = Format.table,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Compute and store equivalent skills between two loaded frameworks (both directions).

    Every label of every skill is compared with every label of the other framework (MiniLM
    cosine); each skill keeps its best matches, classed same_label / close (>= 0.85) /
    related (>= --min-similarity), with the crosswalked occupations that ask for both.
    ESCO x O*NET takes about half a minute once label embeddings are cached.

    Examples:

        lmi frameworks match esco onet

        lmi frameworks match esco provider:acme --top 5 --format json
    """
    from lmi.nlp.crosswalks import compute_equivalents
    from lmi.nlp.embeddings import get_encoder

    with session(db) as con:
        try:
            encoder = get_encoder()
            _embed(con, framework_a)
            _embed(con, framework_b)
            with progress_bar(f"matching {framework_a} x {framework_b}", unit="skills") as update:
                summary = compute_equivalents(con, framework_a, framework_b, encoder, top=top,
                                              min_similarity=min_similarity, progress=update)
        except (KeyError, ValueError) as exc:
            raise fail(str(exc.args[0] if exc.args else exc)) from exc
    out = [{"direction": key, **value} for key, value in summary.items()
           if isinstance(value, dict)]
    render(out, fmt, title=f"Equivalents {framework_a} <-> {framework_b}",
           meta={"top": top, "min_similarity": min_similarity})


@frameworks_app.command("equivalents")
def equivalents_cmd(
    source: Annotated[str, typer.Option("--from", help="Framework whose skills are listed.")
                      ] = "onet",
    target: Annotated[str, typer.Option("--to", help="Framework they are matched in.")
                      ] = "esco",
    match: Annotated[Match | None, typer.Option(
        "--match", help="Only this match class: same_label, close or related.")] = None,
    rank: Annotated[int, typer.Option(
        "--rank", min=1, help="Show equivalents up to this rank per skill (1 = best only).")
    ] = 1,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Rows to show.")] = 50,
    fmt: FormatOption = Format.table,
    db: DbOption = DEFAULT_DB,
) -> None:
    """List stored equivalents from one framework to another, most similar first.

    Run `lmi frameworks match A B` first.

    Examples:

        lmi frameworks equivalents --from onet --to esco --match close

        lmi frameworks equivalents --from esco --to onet --rank 3 --format csv > esco_onet.csv
    """
    from lmi.nlp.crosswalks import equivalents_between

    with session(db) as con:
        found = equivalents_between(con, source, target, match=match and match.value,
                                    max_rank=rank, limit=limit)
    if not found and fmt is Format.table:
        err_console.print(f"[dim]none stored: run `lmi frameworks match {source} {target}`[/dim]")
    columns = None if fmt is not Format.table else [
        "label", "rank", "other_label", "match", "similarity", "other_matched_label",
        "shared_occupations", "occupations"]
    render(found, fmt, title=f"Equivalents {source} -> {target}", columns=columns,
           meta={"match": match and match.value, "rank": rank})


@frameworks_app.command("show")
def show_cmd(
    skill: Annotated[str, typer.Argument(help="Skill id, preferred or alternative label.")],
    framework: Annotated[str, typer.Option(
        "--framework", "-F", help="Framework the skill belongs to.")] = "esco",
    fmt: FormatOption = Format.table,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Show one skill and its equivalents in every other loaded framework.

    Examples:

        lmi frameworks show "Python (computer programming)"

        lmi frameworks show "Microsoft Excel" --framework onet

        lmi frameworks show Python --framework onet --format json
    """
    from lmi.nlp.crosswalks import equivalents_of, find_skill

    with session(db) as con:
        found = find_skill(con, framework, skill)
        if found is None:
            raise fail(f"no skill {skill!r} in framework {framework!r} "
                       "(`lmi frameworks list` shows what is loaded)")
        equivalents = equivalents_of(con, framework, found["skill_id"])
    meta = {"framework": framework, **{k: found[k] for k in (
        "skill_id", "preferred_label", "skill_type", "collections")}}
    if fmt is Format.table:
        console.print(f"[bold]{found['preferred_label']}[/bold]  [dim]{framework} "
                      f"{found['skill_id']}[/dim]")
        if found.get("alt_labels"):
            console.print("also: " + ", ".join(found["alt_labels"][:12]))
        if found.get("description"):
            console.print(found["description"])
        meta = {}
    columns = ["framework", "label", "match", "similarity", "matched_label",
               "other_matched_label", "shared_occupations", "occupations", "collections"]
    render(equivalents, fmt, title="Equivalents in other frameworks", meta=meta,
           columns=columns + ([] if fmt is Format.table else ["skill_id"]))


def register(app: typer.Typer) -> None:
    """Attach `lmi frameworks`."""
    app.add_typer(frameworks_app, name="frameworks")
