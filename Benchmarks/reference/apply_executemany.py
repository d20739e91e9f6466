#!/usr/bin/env python3
"""The plain reference for `rolloutctl apply`: load a state document into an empty rolloutd
database with json.load and sqlite3 executemany, in one transaction, with rolloutd's
durability (WAL, synchronous=FULL). No validation beyond what the schema checks.

Usage: apply_executemany.py DATABASE DOCUMENT
"""
import calendar
import json
import sqlite3
import sys
import time


def instant(text):
    return None if text is None else calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def version_key(text):
    # Version.sortKey: six components, each zero-padded to 9 digits, joined by dots.
    parts = [int(p) for p in text.split(".")]
    parts += [0] * (6 - len(parts))
    return ".".join("%09d" % p for p in parts)


def main(database, document):
    with open(document) as f:
        doc = json.load(f)
    db = sqlite3.connect(database, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("BEGIN IMMEDIATE")
    db.executemany(
        "INSERT INTO partner (id, name, locale, release_management, cadence, defer_weeks, schedule_set_at) VALUES (?,?,?,?,?,?,?)",
        [(p["id"], p["name"], p.get("locale", "en"), int(p.get("release_management", False)),
          (p.get("schedule") or {}).get("cadence"), (p.get("schedule") or {}).get("defer_weeks"), 0)
         for p in doc.get("partners", [])])
    db.executemany(
        "INSERT INTO organisation (id, name, generation, policy_features) VALUES (?,?,?,?)",
        [(o["id"], o["name"], o.get("generation", "legacy"), json.dumps(sorted(set(o.get("policy_features", [])))))
         for o in doc.get("organisations", [])])
    db.executemany(
        "INSERT INTO organisation_partner (organisation_id, partner_id) VALUES (?,?)",
        [(o["id"], p) for o in doc.get("organisations", []) for p in sorted(set(o["partners"]))])
    db.executemany(
        "INSERT INTO user (id, organisation_id, name, automatic_upgrades) VALUES (?,?,?,?)",
        [(u["id"], u["organisation"], u["name"], u.get("automatic_upgrades", "inherit")) for u in doc.get("users", [])])
    db.executemany(
        """INSERT INTO endpoint (id, organisation_id, user_id, platform, os_version, installed_version, installed_version_key,
                                 agent_generation, agent_version, last_check_in) VALUES (?,?,?,?,?,?,?,?,?,?)""",
        [(e["id"], e["organisation"], e.get("user"), e["platform"], e.get("os_version"), e["installed_version"],
          version_key(e["installed_version"]), e.get("agent_generation", "legacy"), e.get("agent_version"),
          instant(e.get("last_check_in"))) for e in doc.get("endpoints", [])])
    for r in doc.get("releases", []):
        db.execute("INSERT INTO release (version, version_key, auto_date, critical) VALUES (?,?,?,?)",
                   (r["version"], version_key(r["version"]), instant(r["automatic_date"]), int(r.get("critical", False))))
        db.executemany("INSERT INTO release_build (version, platform, file, size, sha256) VALUES (?,?,?,?,?)",
                       [(r["version"], b["platform"], b["file"], b["size"], b["sha256"]) for b in r.get("builds", [])])
    # rolloutctl resolves the effective schedule (CAD-3) of what it loads; here, set-based, for
    # organisations with one managing partner.
    db.execute("""UPDATE organisation SET effective_cadence = coalesce(p.cadence, 'automatic'),
                         effective_defer_weeks = coalesce(p.defer_weeks, 0)
                  FROM organisation_partner op JOIN partner p ON p.id = op.partner_id
                  WHERE op.organisation_id = organisation.id AND p.release_management = 1""")
    db.execute("COMMIT")
    db.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
