#!/usr/bin/env python3
"""Mutation testing of every crate, for MUTANTS.md: cargo-mutants mutates one crate at a time
and runs that crate's own tests; the mutants they miss are then tried against the whole
workspace's tests. Prints one table of both figures per crate, with the date and commit.

It works in a git worktree of HEAD under target/mutants/tree (its own build directory, kept
between runs), so the checkout stays free to edit while it runs. A crate takes from about a
minute (resilience) to hours (server, whose suite starts PostgreSQL-backed services per test:
its unit tests go first, and only what they miss meets that suite). Each mutant's latest outcome
is kept in ledger.json beside the run; `--resume` tries again only what a previous run of the
same commit left missed, timed out or untried. `--sample N` tries one mutant in N, spread evenly
through each crate (cargo-mutants' round-robin shard 0 of N): an estimate of a crate too slow to
run whole (server's 2,300 mutants), and its survivors to pin.

Usage: bench/mutants.py [--resume] [--sample N] [CRATE ...]     (default: every crate)
Needs cargo-mutants 27 (`cargo install --locked cargo-mutants@27.1.0`) and, for server's and
icnode's tests, what .ci/run installs and cargo-nextest.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "target", "mutants")
TREE = os.path.join(WORK, "tree")
CRATES = ["jose", "resilience", "instant-connect", "broker", "node", "importer", "server", "icnode"]


def run(*args, cwd=ROOT, check=True):
    return subprocess.run(args, cwd=cwd, check=check, text=True, capture_output=True)


# What .ci/run installs under target/ for the tests (the Python tools, axe-core): without them
# the suites that need them skip outside CI, and mutants only they would catch look missed.
TEST_TOOLS = ["pytools", "axe"]


def prepare_tree(commit):
    """A worktree at `commit`, made or moved there, seeing the checkout's test tools."""
    if not os.path.isdir(TREE):
        os.makedirs(WORK, exist_ok=True)
        run("git", "worktree", "add", "--detach", TREE, commit)
    else:
        run("git", "checkout", "--detach", "--force", commit, cwd=TREE)
    os.makedirs(os.path.join(TREE, "target"), exist_ok=True)
    for tool in TEST_TOOLS:
        installed = os.path.join(ROOT, "target", tool)
        if not os.path.isdir(installed):
            sys.exit(f"target/{tool} is missing: run the install steps of .ci/run first")
        seen = os.path.join(TREE, "target", tool)
        if not os.path.lexists(seen):
            os.symlink(installed, seen)


# cargo-mutants' outcomes, by the name its lists give a mutant.
OUTCOMES = {"CaughtMutant": "caught", "MissedMutant": "missed", "Timeout": "timeout", "Unviable": "unviable"}


def record(out_dir, fresh):
    """The crate's outcomes so far, one per mutant, kept in ledger.json: this run's outcomes
    over those of the runs before it (a later run, with more tests or its timeout again, has
    the last word), or alone when `fresh`. Returns the counts and the names still missed."""
    path = os.path.join(out_dir, "ledger.json")
    ledger = {}
    if not fresh and os.path.exists(path):
        with open(path) as f:
            ledger = json.load(f)
    # A run with nothing left to try (everything caught before it) writes no outcomes.
    run = os.path.join(out_dir, "mutants.out", "outcomes.json")
    if os.path.exists(run):
        with open(run) as f:
            for outcome in json.load(f)["outcomes"]:
                mutant = outcome["scenario"]
                if isinstance(mutant, dict) and "Mutant" in mutant:
                    ledger[mutant["Mutant"]["name"]] = OUTCOMES[outcome["summary"]]
    with open(path, "w") as f:
        json.dump(ledger, f, indent=0, sort_keys=True)
    seen = list(ledger.values())
    counts = {
        # A mutant that makes the tests hang is caught by their timeout.
        "caught": seen.count("caught") + seen.count("timeout"),
        "timeout": seen.count("timeout"),
        "unviable": seen.count("unviable"),
        "missed": seen.count("missed"),
    }
    return counts, sorted(name for name, outcome in ledger.items() if outcome == "missed")


# The crates whose suites take minutes run under cargo-nextest, which stops at a mutant's first
# failing test instead of finishing the suite; a mutant is caught by any failing test either way.
NEXTEST = {"server", "icnode"}


# server's whole suite takes a minute and a half a mutant, its unit tests seconds: they go first,
# and only what they miss (or hang on) meets the whole suite, by cargo-mutants' `--iterate` in
# the same output. Not with `--sample`, whose shard a second, filtered listing would not keep.
UNIT_TESTS_FIRST = {"server"}


def mutants(crate, out_dir, *extra, resume=False, sample=1, unit_tests_only=False):
    os.makedirs(out_dir, exist_ok=True)
    args = ["cargo", "mutants", "--in-place", "-p", crate, "--output", out_dir, *extra]
    if unit_tests_only:
        args.append("--cargo-test-arg=--lib")
    elif crate in NEXTEST:
        args += ["--test-tool", "nextest"]
    if resume:
        args.append("--iterate")
    if sample > 1:
        args += ["--shard", f"0/{sample}", "--sharding", "round-robin"]
    print("  " + " ".join(args[1:]), file=sys.stderr, flush=True)
    # Exit 2 (missed) and 3 (timeouts) are results, not failures of the run.
    # A mutant that fails a property test is not a case worth keeping for later runs.
    quiet = dict(os.environ, PROPTEST_DISABLE_FAILURE_PERSISTENCE="1")
    done = subprocess.run(args, cwd=TREE, env=quiet)
    if done.returncode not in (0, 2, 3):
        sys.exit(f"cargo mutants -p {crate} failed with exit {done.returncode}")


def percent(caught, missed):
    return f"{100 * caught / (caught + missed):.1f}%" if caught + missed else "n/a"


def measure(crate, resume, sample):
    own_dir = os.path.join(WORK, crate, "own")
    whole_dir = os.path.join(WORK, crate, "workspace")
    if crate in UNIT_TESTS_FIRST and sample == 1:
        print(f"{crate}: its unit tests, then its own tests", file=sys.stderr, flush=True)
        mutants(crate, own_dir, resume=resume, unit_tests_only=True)
        record(own_dir, fresh=not resume)
        mutants(crate, own_dir, resume=True)
        own, survivors = record(own_dir, fresh=False)
    else:
        print(f"{crate}: its own tests", file=sys.stderr, flush=True)
        mutants(crate, own_dir, resume=resume, sample=sample)
        own, survivors = record(own_dir, fresh=not resume)
    caught, missed = own["caught"], own["missed"]
    still = survivors
    # No other crate's tests call the binary, so its survivors are final.
    if survivors and crate != "icnode":
        # Only the survivors, against every crate's tests.
        print(f"{crate}: {len(survivors)} survivors against the workspace", file=sys.stderr)
        pattern = "|".join(f"^{re.escape(name)}$" for name in survivors)
        mutants(crate, whole_dir, "--test-workspace=true", "--re", pattern)
        _, still = record(whole_dir, fresh=True)
    return {
        "crate": crate,
        "caught": caught,
        "missed": missed,
        "workspace_missed": len(still),
        "unviable": own["unviable"],
        "timeouts": own["timeout"],
        "survivors": still,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("crates", nargs="*", default=CRATES, help="crates to measure")
    parser.add_argument("--resume", action="store_true", help="retry only what was missed or not reached")
    parser.add_argument("--sample", type=int, default=1, metavar="N", help="try one mutant in N")
    options = parser.parse_args()
    for crate in options.crates:
        if crate not in CRATES:
            sys.exit(f"unknown crate `{crate}`: one of {', '.join(CRATES)}")
    commit = run("git", "rev-parse", "--short", "HEAD").stdout.strip()
    prepare_tree(commit)
    if options.sample < 1:
        sys.exit("--sample N needs N of 1 or more")
    rows = [measure(crate, options.resume, options.sample) for crate in options.crates]
    today = datetime.date.today().isoformat()
    sampled = f", one mutant in {options.sample}" if options.sample > 1 else ""
    print(f"\n## cargo-mutants {today}, `{commit}`{sampled}\n")
    print("| crate | caught / (caught + missed), own tests | with the workspace's tests | unviable | timeouts |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        caught, missed = row["caught"], row["missed"]
        whole = missed - row["workspace_missed"]
        print(
            f"| {row['crate']} | {caught} / {caught + missed} ({percent(caught, missed)}) "
            f"| {percent(caught + whole, row['workspace_missed'])} | {row['unviable']} | {row['timeouts']} |"
        )
    for row in rows:
        for name in row["survivors"]:
            print(f"- survives in {row['crate']}: {name}")


if __name__ == "__main__":
    main()
