package import GRDB

/// The versioned schema. Each migration runs once, in order, inside a transaction; the
/// daemon and the CLI both migrate on open, so whichever opens a new file first creates it.
///
/// Instants are INTEGER Unix seconds (UTC): cheap to index and compare, no parsing in SQL.
/// Versions carry a `*_key` column, `Version.sortKey`, whose text order is the numeric order,
/// so fleet-wide retargeting can use `MAX()` and `<` in one statement.
package enum Migrations {
    package static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: entities, schedules, programmes, outbox, wake log") { db in
            try db.execute(sql: schemaV1)
        }
        migrator.registerMigration("trust-1: daemon heartbeat") { db in
            try db.execute(sql: heartbeat)
        }
        // Decisions as data (issue #8): the kind and typed before/after as JSON, beside the text
        // columns, which older rows keep alone.
        migrator.registerMigration("engine-typed-decisions") { db in
            try db.execute(sql: """
                ALTER TABLE decision ADD COLUMN kind TEXT;
                ALTER TABLE decision ADD COLUMN before_value TEXT CHECK (before_value IS NULL OR json_valid(before_value));
                ALTER TABLE decision ADD COLUMN after_value TEXT CHECK (after_value IS NULL OR json_valid(after_value));
                CREATE INDEX decision_by_kind ON decision(kind, wake_at) WHERE kind IS NOT NULL;
                """)
        }
        migrator.registerMigration("delivery-v1: webhooks, deliveries, delivery cursor") { db in
            try db.execute(sql: deliveryV1)
        }
        migrator.registerMigration("trust-2: skipped rows") { db in
            try db.execute(sql: skippedRows)
        }
        migrator.registerMigration("api-1: tokens, request audit, distributors, end-user deliveries") { db in
            try db.execute(sql: schemaAPI1)
        }
        migrator.registerMigration("ops-1: pauses, cancelled changes, failure thresholds") { db in
            try db.execute(sql: opsControls)
        }
        migrator.registerMigration("engine-perf-1: incremental retargeting, indexes for per-organisation queries") { db in
            try db.execute(sql: enginePerf1)
        }
        migrator.registerMigration("engine-perf-2: programme progress counted as it changes") { db in
            try db.execute(sql: enginePerf2)
        }
        migrator.registerMigration("api-2: queued webhook pings") { db in
            try db.execute(sql: webhookPings)
        }
        migrator.registerMigration("api-3: typed notification values") { db in
            try db.execute(sql: "ALTER TABLE notification ADD COLUMN facts TEXT CHECK (facts IS NULL OR json_valid(facts))")
        }
        migrator.registerMigration("engine-perf-3: partial indexes of bad endpoint rows") { db in
            try db.execute(sql: """
                CREATE INDEX endpoint_bad_installed_version ON endpoint(id) WHERE \(BadRowCondition.installedVersionInvalid);
                CREATE INDEX endpoint_bad_upgrade_state ON endpoint(id) WHERE \(BadRowCondition.upgradeStateUnknown);
                CREATE INDEX endpoint_bad_platform ON endpoint(id) WHERE \(BadRowCondition.platformUnknown);
                """)
        }
        migrator.registerMigration("engine-perf-4: partial indexes of bad organisation rows") { db in
            try db.execute(sql: """
                CREATE INDEX organisation_bad_generation ON organisation(id) WHERE \(BadRowCondition.generationUnknown);
                CREATE INDEX organisation_bad_policy_features ON organisation(id) WHERE \(BadRowCondition.policyFeaturesInvalid);
                """)
        }
        return migrator
    }

    /// The newest schema version this build knows (the number of migrations).
    package static var latestVersion: Int { migrator.migrations.count }

    /// What differs between the schema of `db` and the one these migrations create: missing,
    /// unexpected or altered tables, indexes, views and triggers (`rolloutctl db check`). A file
    /// can record every migration as applied and still lack a table someone dropped by hand.
    static func schemaDifferences(_ db: Database) throws -> [String] {
        let applied = try migrator.appliedIdentifiers(db)
        guard applied.count == latestVersion else {
            return ["schema: version \(applied.count), this build expects \(latestVersion)"]
        }
        let reference = try DatabaseQueue()
        try migrator.migrate(reference)
        let expected = try reference.read(schemaObjects)
        let actual = try schemaObjects(db)
        var problems: [String] = []
        for (name, object) in expected.sorted(by: { $0.key < $1.key }) {
            guard let found = actual[name] else {
                problems.append("schema: \(object.type) \(name) is missing")
                continue
            }
            if found != object { problems.append("schema: \(object.type) \(name) differs from the expected definition") }
        }
        for (name, object) in actual.sorted(by: { $0.key < $1.key }) where expected[name] == nil {
            problems.append("schema: unexpected \(object.type) \(name)")
        }
        return problems
    }

    /// Tables, indexes, views and triggers by name, with their SQL in a whitespace-free form.
    private static func schemaObjects(_ db: Database) throws -> [String: SchemaObject] {
        var objects: [String: SchemaObject] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'") {
            let sql = (row["sql"] as String?) ?? ""
            objects[row["name"]] = SchemaObject(type: row["type"], sql: sql.split(whereSeparator: \.isWhitespace).joined(separator: " "))
        }
        return objects
    }

    private struct SchemaObject: Equatable {
        let type: String
        let sql: String
    }

    /// DMN-7: rows that break a rule, found by the wakes' checks. Each is skipped by the rules,
    /// journaled once when first seen, listed by `status` and `rolloutctl skipped` while it is
    /// there, and forgotten once repaired. `row_id` is the row's key in `table_name`.
    private static let skippedRows = """
    CREATE TABLE skipped_row (
        kind TEXT NOT NULL,
        table_name TEXT NOT NULL,
        row_id TEXT NOT NULL,
        rule TEXT NOT NULL,
        reason TEXT NOT NULL,
        first_seen_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        PRIMARY KEY (kind, table_name, row_id)
    ) STRICT, WITHOUT ROWID;
    """

    /// DMN-8: the daemon's liveness, one row, written at every poll. `status` tells "running" from
    /// "stopped" with it, and `run` refuses to decide ahead of the wall clock on a database a daemon
    /// serves (DMN-9). Wall-clock Unix seconds, like `wake.processed_at`.
    private static let heartbeat = """
    CREATE TABLE heartbeat (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        beat_at INTEGER NOT NULL,
        -- The daemon's poll interval: a beat older than two of them means it is not running.
        poll_seconds INTEGER NOT NULL CHECK (poll_seconds > 0),
        -- Set by a clean stop (SIGTERM); NULL while it runs or after a crash.
        stopped_at INTEGER
    ) STRICT;
    """

    /// The effective release each (schedule, platform) group was last retargeted to, so a wake
    /// retargets only the groups whose effective release changed (issue #8). Empty after the
    /// migration: the first wake retargets every group once. The indexes serve the queries that
    /// otherwise walk every organisation: endpoints of a schedule group and the deferrals in use
    /// (release-effective wakes), an organisation's orders (automatic orders UPG-7, progress
    /// UPG-8), the organisations a partner upgraded (progress UPG-8).
    private static let enginePerf1 = """
    CREATE TABLE applied_effective_release (
        cadence TEXT NOT NULL,
        defer_weeks INTEGER NOT NULL,
        platform TEXT NOT NULL,
        version_key TEXT NOT NULL,
        PRIMARY KEY (cadence, defer_weeks, platform)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX organisation_by_effective_schedule ON organisation(effective_defer_weeks, effective_cadence);
    CREATE INDEX organisation_by_upgrade_partner ON organisation(upgrade_partner_id) WHERE upgrade_partner_id IS NOT NULL;
    CREATE INDEX upgrade_order_by_organisation ON upgrade_order(organisation_id, id);
    """

    /// UPG-8 progress per partner, kept by triggers as rows change, so STATUS= and `status` read
    /// a few rows instead of recounting the fleet after every outside write (issue #8). Measures:
    /// `organisation` (managed organisations by generation), `order` (managed organisations by
    /// the state of their latest order, `none` without one), `endpoint` (endpoints of the
    /// organisations the partner upgraded, by lifecycle state). Counts may reach 0 and stay.
    private static let enginePerf2 = """
    CREATE TABLE programme_count (
        partner_id TEXT NOT NULL,
        measure TEXT NOT NULL CHECK (measure IN ('organisation','order','endpoint')),
        value TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (partner_id, measure, value)
    ) STRICT, WITHOUT ROWID;

    INSERT INTO programme_count
    SELECT op.partner_id, 'organisation', o.generation, count(*) FROM organisation_partner op JOIN organisation o ON o.id = op.organisation_id
    GROUP BY op.partner_id, o.generation;
    INSERT INTO programme_count
    SELECT partner_id, 'order', state, count(*) FROM (
        SELECT op.partner_id, coalesce((SELECT u.state FROM upgrade_order u WHERE u.organisation_id = op.organisation_id
                                        ORDER BY u.id DESC LIMIT 1), 'none') AS state
        FROM organisation_partner op)
    GROUP BY partner_id, state;
    INSERT INTO programme_count
    SELECT o.upgrade_partner_id, 'endpoint', e.upgrade_state, count(*) FROM endpoint e JOIN organisation o ON o.id = e.organisation_id
    WHERE o.upgrade_partner_id IS NOT NULL AND e.upgrade_state IS NOT NULL GROUP BY o.upgrade_partner_id, e.upgrade_state;

    -- Managing partners: generation and latest order of the organisation they gain or lose.
    CREATE TRIGGER programme_count_partner_added AFTER INSERT ON organisation_partner BEGIN
        INSERT INTO programme_count SELECT NEW.partner_id, 'organisation', generation, 1 FROM organisation WHERE id = NEW.organisation_id
        ON CONFLICT DO UPDATE SET count = count + 1;
        INSERT INTO programme_count
        SELECT NEW.partner_id, 'order', coalesce((SELECT state FROM upgrade_order WHERE organisation_id = NEW.organisation_id
                                                  ORDER BY id DESC LIMIT 1), 'none'), 1 WHERE true
        ON CONFLICT DO UPDATE SET count = count + 1;
    END;
    CREATE TRIGGER programme_count_partner_removed AFTER DELETE ON organisation_partner BEGIN
        UPDATE programme_count SET count = count - 1
        WHERE partner_id = OLD.partner_id AND measure = 'organisation'
          AND value = (SELECT generation FROM organisation WHERE id = OLD.organisation_id);
        UPDATE programme_count SET count = count - 1
        WHERE partner_id = OLD.partner_id AND measure = 'order'
          AND value = coalesce((SELECT state FROM upgrade_order WHERE organisation_id = OLD.organisation_id ORDER BY id DESC LIMIT 1), 'none');
    END;
    -- An organisation leaving takes its rows with it while it can still be read (its foreign-key
    -- cascades would run after it is gone).
    CREATE TRIGGER programme_count_organisation_removed BEFORE DELETE ON organisation BEGIN
        DELETE FROM organisation_partner WHERE organisation_id = OLD.id;
        DELETE FROM upgrade_order WHERE organisation_id = OLD.id;
        DELETE FROM endpoint WHERE organisation_id = OLD.id;
    END;
    CREATE TRIGGER programme_count_generation AFTER UPDATE OF generation ON organisation
    WHEN OLD.generation IS NOT NEW.generation BEGIN
        UPDATE programme_count SET count = count - 1
        WHERE measure = 'organisation' AND value = OLD.generation
          AND partner_id IN (SELECT partner_id FROM organisation_partner WHERE organisation_id = NEW.id);
        INSERT INTO programme_count SELECT partner_id, 'organisation', NEW.generation, 1 FROM organisation_partner
        WHERE organisation_id = NEW.id
        ON CONFLICT DO UPDATE SET count = count + 1;
    END;
    CREATE TRIGGER programme_count_upgrade_partner AFTER UPDATE OF upgrade_partner_id ON organisation
    WHEN OLD.upgrade_partner_id IS NOT NEW.upgrade_partner_id BEGIN
        UPDATE programme_count
        SET count = count - (SELECT count(*) FROM endpoint e WHERE e.organisation_id = NEW.id AND e.upgrade_state = programme_count.value)
        WHERE partner_id = OLD.upgrade_partner_id AND measure = 'endpoint';
        INSERT INTO programme_count
        SELECT NEW.upgrade_partner_id, 'endpoint', upgrade_state, count(*) FROM endpoint
        WHERE organisation_id = NEW.id AND upgrade_state IS NOT NULL AND NEW.upgrade_partner_id IS NOT NULL GROUP BY upgrade_state
        ON CONFLICT DO UPDATE SET count = count + excluded.count;
    END;

    -- Orders: only the latest order of an organisation counts.
    CREATE TRIGGER programme_count_order_placed AFTER INSERT ON upgrade_order
    WHEN NEW.id = (SELECT max(id) FROM upgrade_order WHERE organisation_id = NEW.organisation_id) BEGIN
        UPDATE programme_count SET count = count - 1
        WHERE measure = 'order'
          AND value = coalesce((SELECT state FROM upgrade_order WHERE organisation_id = NEW.organisation_id AND id < NEW.id
                                ORDER BY id DESC LIMIT 1), 'none')
          AND partner_id IN (SELECT partner_id FROM organisation_partner WHERE organisation_id = NEW.organisation_id);
        INSERT INTO programme_count SELECT partner_id, 'order', NEW.state, 1 FROM organisation_partner
        WHERE organisation_id = NEW.organisation_id
        ON CONFLICT DO UPDATE SET count = count + 1;
    END;
    CREATE TRIGGER programme_count_order_state AFTER UPDATE OF state ON upgrade_order
    WHEN OLD.state IS NOT NEW.state AND NEW.id = (SELECT max(id) FROM upgrade_order WHERE organisation_id = NEW.organisation_id) BEGIN
        UPDATE programme_count SET count = count - 1
        WHERE measure = 'order' AND value = OLD.state
          AND partner_id IN (SELECT partner_id FROM organisation_partner WHERE organisation_id = NEW.organisation_id);
        INSERT INTO programme_count SELECT partner_id, 'order', NEW.state, 1 FROM organisation_partner
        WHERE organisation_id = NEW.organisation_id
        ON CONFLICT DO UPDATE SET count = count + 1;
    END;
    CREATE TRIGGER programme_count_order_removed AFTER DELETE ON upgrade_order
    WHEN OLD.id > coalesce((SELECT max(id) FROM upgrade_order WHERE organisation_id = OLD.organisation_id), 0) BEGIN
        UPDATE programme_count SET count = count - 1
        WHERE measure = 'order' AND value = OLD.state
          AND partner_id IN (SELECT partner_id FROM organisation_partner WHERE organisation_id = OLD.organisation_id);
        INSERT INTO programme_count
        SELECT partner_id, 'order', coalesce((SELECT state FROM upgrade_order WHERE organisation_id = OLD.organisation_id
                                              ORDER BY id DESC LIMIT 1), 'none'), 1
        FROM organisation_partner WHERE organisation_id = OLD.organisation_id
        ON CONFLICT DO UPDATE SET count = count + 1;
    END;

    -- Endpoints of upgraded organisations, by lifecycle state.
    CREATE TRIGGER programme_count_endpoint_added AFTER INSERT ON endpoint WHEN NEW.upgrade_state IS NOT NULL BEGIN
        INSERT INTO programme_count SELECT upgrade_partner_id, 'endpoint', NEW.upgrade_state, 1 FROM organisation
        WHERE id = NEW.organisation_id AND upgrade_partner_id IS NOT NULL
        ON CONFLICT DO UPDATE SET count = count + 1;
    END;
    CREATE TRIGGER programme_count_endpoint_removed AFTER DELETE ON endpoint WHEN OLD.upgrade_state IS NOT NULL BEGIN
        UPDATE programme_count SET count = count - 1
        WHERE measure = 'endpoint' AND value = OLD.upgrade_state
          AND partner_id = (SELECT upgrade_partner_id FROM organisation WHERE id = OLD.organisation_id);
    END;
    CREATE TRIGGER programme_count_endpoint_moved AFTER UPDATE OF upgrade_state, organisation_id ON endpoint
    WHEN OLD.upgrade_state IS NOT NEW.upgrade_state OR OLD.organisation_id IS NOT NEW.organisation_id BEGIN
        UPDATE programme_count SET count = count - 1
        WHERE measure = 'endpoint' AND value = OLD.upgrade_state
          AND partner_id = (SELECT upgrade_partner_id FROM organisation WHERE id = OLD.organisation_id);
        INSERT INTO programme_count SELECT upgrade_partner_id, 'endpoint', NEW.upgrade_state, 1 FROM organisation
        WHERE id = NEW.organisation_id AND upgrade_partner_id IS NOT NULL AND NEW.upgrade_state IS NOT NULL
        ON CONFLICT DO UPDATE SET count = count + 1;
    END;
    """

    private static let schemaV1 = """
    -- SPEC §1 Partner. Schedule columns are the partner-level release schedule (CAD-3.3).
    CREATE TABLE partner (
        id TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        locale TEXT NOT NULL DEFAULT 'en' CHECK (locale IN ('en','fr')),
        release_management INTEGER NOT NULL DEFAULT 0 CHECK (release_management IN (0,1)),
        allow_customer_override INTEGER NOT NULL DEFAULT 1 CHECK (allow_customer_override IN (0,1)),
        cadence TEXT CHECK (cadence IN ('automatic','latest','slow')),
        defer_weeks INTEGER CHECK (defer_weeks BETWEEN 0 AND 52),
        schedule_set_at INTEGER,
        upgrade_policy TEXT NOT NULL DEFAULT 'automatic' CHECK (upgrade_policy IN ('automatic','manual')),
        upgrade_delay_days INTEGER CHECK (upgrade_delay_days BETWEEN 0 AND 365),
        end_user_deferral_days INTEGER CHECK (end_user_deferral_days BETWEEN 0 AND 30),
        billing_day INTEGER NOT NULL DEFAULT 1 CHECK (billing_day BETWEEN 1 AND 28),
        -- When the final legacy declaration was notified; no monthly one after it (UPG-9).
        final_declaration_at INTEGER,
        CHECK ((cadence IS NULL) = (defer_weeks IS NULL))
    ) STRICT;

    -- SPEC §1 Organisation. Schedule columns are the org-level schedule (CAD-3.2, CAD-4).
    CREATE TABLE organisation (
        id TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        generation TEXT NOT NULL DEFAULT 'legacy' CHECK (generation IN ('legacy','cloud')),
        cadence TEXT CHECK (cadence IN ('automatic','latest','slow')),
        defer_weeks INTEGER CHECK (defer_weeks BETWEEN 0 AND 52),
        schedule_origin TEXT CHECK (schedule_origin IN ('partner','customer')),
        schedule_set_at INTEGER,
        allow_customer_override INTEGER CHECK (allow_customer_override IN (0,1)),
        legacy_defer_months INTEGER,
        legacy_migrated_at INTEGER,
        upgrade_delay_days INTEGER CHECK (upgrade_delay_days BETWEEN 0 AND 365),
        upgraded_at INTEGER,
        first_bill_due_at INTEGER,
        -- Policy features in use, a JSON array of names; readiness checks them (UPG-3).
        policy_features TEXT NOT NULL DEFAULT '[]',
        -- The partner whose order upgraded it: its policy sets the endpoint delay (UPG-5, UPG-6).
        upgrade_partner_id TEXT REFERENCES partner(id) ON DELETE SET NULL,
        -- The schedule CAD-3 resolves, kept current by every write that changes its inputs, so
        -- retargeting a fleet is one join instead of a resolution per organisation per wake.
        effective_cadence TEXT NOT NULL DEFAULT 'automatic' CHECK (effective_cadence IN ('automatic','latest','slow')),
        effective_defer_weeks INTEGER NOT NULL DEFAULT 0,
        effective_reasons TEXT NOT NULL DEFAULT '[]',
        CHECK ((cadence IS NULL) = (defer_weeks IS NULL))
    ) STRICT;

    CREATE TABLE organisation_partner (
        organisation_id TEXT NOT NULL REFERENCES organisation(id) ON DELETE CASCADE,
        partner_id TEXT NOT NULL REFERENCES partner(id) ON DELETE CASCADE,
        PRIMARY KEY (organisation_id, partner_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX organisation_partner_by_partner ON organisation_partner(partner_id, organisation_id);

    CREATE TABLE user (
        id TEXT PRIMARY KEY NOT NULL,
        organisation_id TEXT NOT NULL REFERENCES organisation(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        automatic_upgrades TEXT NOT NULL DEFAULT 'inherit' CHECK (automatic_upgrades IN ('inherit','on','off'))
    ) STRICT;
    CREATE INDEX user_by_organisation ON user(organisation_id);

    -- SPEC §1 Endpoint. target_* is the release-management decision (CAD-2); upgrade_* the
    -- customer upgrade programme lifecycle (UPG-6). Partial indexes below keep "what is due"
    -- queries proportional to what is due, not to the fleet.
    CREATE TABLE endpoint (
        id TEXT PRIMARY KEY NOT NULL,
        organisation_id TEXT NOT NULL REFERENCES organisation(id) ON DELETE CASCADE,
        user_id TEXT REFERENCES user(id) ON DELETE SET NULL,
        platform TEXT NOT NULL CHECK (platform IN ('windows','macos','linux','ios','android')),
        os_version TEXT,
        installed_version TEXT NOT NULL,
        installed_version_key TEXT NOT NULL,
        installed_reported_at INTEGER,
        agent_generation TEXT NOT NULL DEFAULT 'legacy' CHECK (agent_generation IN ('legacy','cloud')),
        agent_version TEXT,
        last_check_in INTEGER,
        target_version TEXT,
        target_version_key TEXT,
        target_set_at INTEGER,
        upgrade_state TEXT CHECK (upgrade_state IN ('pending','notified','deferred','installing','restart_required','upgraded','failed')),
        -- When a pending endpoint is triggered (UPG-5); NULL with policy manual until the partner triggers it.
        upgrade_at INTEGER,
        triggered_at INTEGER,
        deferral_deadline INTEGER,
        next_reminder_at INTEGER,
        upgrade_state_at INTEGER,
        failure_reason TEXT
    ) STRICT;
    CREATE INDEX endpoint_by_organisation ON endpoint(organisation_id, platform);
    CREATE INDEX endpoint_by_user ON endpoint(user_id) WHERE user_id IS NOT NULL;
    CREATE INDEX endpoint_upgrade_due ON endpoint(upgrade_at) WHERE upgrade_at IS NOT NULL;
    CREATE INDEX endpoint_by_upgrade_state ON endpoint(organisation_id, upgrade_state) WHERE upgrade_state IS NOT NULL;
    CREATE INDEX endpoint_deferral_due ON endpoint(deferral_deadline) WHERE upgrade_state IN ('notified','deferred');
    CREATE INDEX endpoint_reminder_due ON endpoint(next_reminder_at) WHERE next_reminder_at IS NOT NULL;

    -- SPEC §1 Release and its builds (CAD-2, CAD-11).
    CREATE TABLE release (
        version TEXT PRIMARY KEY NOT NULL,
        version_key TEXT NOT NULL UNIQUE,
        auto_date INTEGER NOT NULL,
        critical INTEGER NOT NULL DEFAULT 0 CHECK (critical IN (0,1))
    ) STRICT;
    CREATE INDEX release_by_date ON release(auto_date);

    CREATE TABLE release_build (
        version TEXT NOT NULL REFERENCES release(version) ON DELETE CASCADE,
        platform TEXT NOT NULL CHECK (platform IN ('windows','macos','linux','ios','android')),
        file TEXT NOT NULL,
        size INTEGER NOT NULL CHECK (size >= 0),
        sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
        PRIMARY KEY (version, platform)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX release_build_by_platform ON release_build(platform, version);

    -- Requested schedule and toggle changes, applied by a wake (CAD-8). Pending = applied_at
    -- and superseded_at both NULL.
    CREATE TABLE schedule_change (
        id INTEGER PRIMARY KEY,
        partner_id TEXT NOT NULL REFERENCES partner(id) ON DELETE CASCADE,
        organisation_id TEXT REFERENCES organisation(id) ON DELETE CASCADE,
        actor TEXT NOT NULL CHECK (actor IN ('partner','customer')),
        kind TEXT NOT NULL CHECK (kind IN ('schedule','reset','override')),
        cadence TEXT CHECK (cadence IN ('automatic','latest','slow')),
        defer_weeks INTEGER,
        allow_customer_override INTEGER CHECK (allow_customer_override IN (0,1)),
        requested_at INTEGER NOT NULL,
        apply_by INTEGER NOT NULL,
        applied_at INTEGER,
        superseded_at INTEGER
    ) STRICT;
    CREATE INDEX schedule_change_pending ON schedule_change(apply_by) WHERE applied_at IS NULL AND superseded_at IS NULL;

    -- Targets to recompute at the next wake, because something they depend on changed outside a
    -- wake (a document, a user's switch, an installed version reported). The earliest `since` is
    -- a deadline: the loop wakes at once (DMN-1).
    CREATE TABLE retarget_request (
        scope TEXT PRIMARY KEY NOT NULL,
        since INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;

    -- SPEC §4: one upgrade programme per partner (UPG-1).
    CREATE TABLE programme (
        partner_id TEXT PRIMARY KEY NOT NULL REFERENCES partner(id) ON DELETE CASCADE,
        announce_at INTEGER NOT NULL,
        window_start_at INTEGER NOT NULL,
        auto_upgrade_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        -- When each instant was acted on by a wake; NULL while it is still a deadline.
        announced_at INTEGER,
        window_opened_at INTEGER,
        auto_upgrade_done_at INTEGER,
        CHECK (announce_at <= window_start_at AND window_start_at <= auto_upgrade_at)
    ) STRICT;

    -- Readiness checklist items per organisation (UPG-3).
    CREATE TABLE readiness_item (
        organisation_id TEXT NOT NULL REFERENCES organisation(id) ON DELETE CASCADE,
        item TEXT NOT NULL,
        passed INTEGER NOT NULL CHECK (passed IN (0,1)),
        reason TEXT NOT NULL,
        evaluated_at INTEGER NOT NULL,
        PRIMARY KEY (organisation_id, item)
    ) STRICT, WITHOUT ROWID;

    -- Distributor orders (UPG-4, UPG-5, UPG-7).
    CREATE TABLE upgrade_order (
        id INTEGER PRIMARY KEY,
        organisation_id TEXT NOT NULL REFERENCES organisation(id) ON DELETE CASCADE,
        partner_id TEXT NOT NULL REFERENCES partner(id) ON DELETE CASCADE,
        state TEXT NOT NULL CHECK (state IN ('ordered','processed','failed')),
        automatic INTEGER NOT NULL DEFAULT 0 CHECK (automatic IN (0,1)),
        reason TEXT,
        ordered_at INTEGER NOT NULL,
        answer_due_at INTEGER NOT NULL,
        answered_at INTEGER,
        chased_at INTEGER,
        -- When a wake made the decisions of the answer (UPG-5): an answer not yet applied is due at once.
        applied_at INTEGER
    ) STRICT;
    CREATE INDEX upgrade_order_unapplied ON upgrade_order(answered_at) WHERE answered_at IS NOT NULL AND applied_at IS NULL;
    CREATE UNIQUE INDEX upgrade_order_one_open ON upgrade_order(organisation_id) WHERE state = 'ordered';
    CREATE INDEX upgrade_order_answer_due ON upgrade_order(answer_due_at) WHERE state = 'ordered' AND chased_at IS NULL;

    -- The outbox consoles and agents read (NOT-1..3). The idempotency key is unique in the
    -- database itself, so no path in the program can emit one twice.
    CREATE TABLE notification (
        id INTEGER PRIMARY KEY,
        idempotency_key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        audience TEXT NOT NULL CHECK (audience IN ('partner_admins','customer_admins','end_user')),
        partner_id TEXT,
        organisation_id TEXT,
        user_id TEXT,
        endpoint_id TEXT,
        locale TEXT NOT NULL CHECK (locale IN ('en','fr')),
        due_at INTEGER NOT NULL,
        emitted_at INTEGER NOT NULL,
        late INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0,1)),
        subject TEXT NOT NULL,
        body TEXT NOT NULL
    ) STRICT;
    CREATE INDEX notification_by_partner ON notification(partner_id, due_at);
    CREATE INDEX notification_by_organisation ON notification(organisation_id, due_at);
    CREATE INDEX notification_by_endpoint ON notification(endpoint_id) WHERE endpoint_id IS NOT NULL;

    -- One row per processed wake (DMN-2..4). The primary key on the instant is the last line of
    -- defence against processing a wake twice; `clock` holds the cursor.
    CREATE TABLE wake (
        at INTEGER PRIMARY KEY NOT NULL,
        reasons TEXT NOT NULL,
        processed_at INTEGER NOT NULL,
        duration_us INTEGER NOT NULL,
        late INTEGER NOT NULL CHECK (late IN (0,1)),
        summary TEXT NOT NULL
    ) STRICT;

    -- The audit trail of decisions: wake instant, SPEC rule, subject, before and after.
    CREATE TABLE decision (
        id INTEGER PRIMARY KEY,
        wake_at INTEGER NOT NULL,
        rule TEXT NOT NULL,
        subject_kind TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        partner_id TEXT,
        organisation_id TEXT,
        before TEXT,
        after TEXT
    ) STRICT;
    CREATE INDEX decision_by_subject ON decision(subject_kind, subject_id, wake_at);
    CREATE INDEX decision_by_organisation ON decision(organisation_id, wake_at) WHERE organisation_id IS NOT NULL;
    CREATE INDEX decision_by_partner ON decision(partner_id, wake_at) WHERE partner_id IS NOT NULL;

    -- The loop's cursor: every wake at or before processed_through has been processed (DMN-4).
    CREATE TABLE clock (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        processed_through INTEGER NOT NULL
    ) STRICT;
    """

    /// Webhook delivery (DLV-1…5). A `webhook` is an endpoint registered for a partner's admins
    /// (organisation NULL) or an organisation's customer admins; `delivery` is one notification
    /// to one webhook, created by the deliverer as it reads the outbox in id order past
    /// `delivery_cursor`. Deliveries of a webhook start after the outbox's last id at its
    /// registration (`start_after`): a new endpoint is not flooded with history.
    private static let deliveryV1 = """
    CREATE TABLE webhook (
        id INTEGER PRIMARY KEY,
        partner_id TEXT NOT NULL REFERENCES partner(id) ON DELETE CASCADE,
        organisation_id TEXT REFERENCES organisation(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        -- A JSON array of notification kinds, or NULL for every kind its audience receives.
        kinds TEXT,
        secret TEXT NOT NULL CHECK (secret LIKE 'whsec_%'),
        -- After a rotation the old secret signs too, until previous_secret_until (DLV-5).
        previous_secret TEXT CHECK (previous_secret LIKE 'whsec_%'),
        previous_secret_until INTEGER,
        created_at INTEGER NOT NULL,
        start_after INTEGER NOT NULL,
        disabled_at INTEGER,
        disabled_reason TEXT,
        -- Health (DLV-4).
        last_success_at INTEGER,
        last_failure_at INTEGER,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    ) STRICT;
    CREATE INDEX webhook_by_partner ON webhook(partner_id, organisation_id);

    -- pending: not yet tried, or redelivery requested; failed: tried, a retry is scheduled;
    -- dead: retries ran out or the endpoint is gone; delivered: a 2xx was recorded, for good (DLV-2).
    CREATE TABLE delivery (
        id INTEGER PRIMARY KEY,
        webhook_id INTEGER NOT NULL REFERENCES webhook(id) ON DELETE CASCADE,
        notification_id INTEGER NOT NULL REFERENCES notification(id) ON DELETE CASCADE,
        state TEXT NOT NULL CHECK (state IN ('pending','failed','dead','delivered')),
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        -- Retries give up give_up_after_seconds after this instant (creation, or a redelivery request).
        retry_from INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        last_attempt_at INTEGER,
        last_status INTEGER,
        last_error TEXT,
        delivered_at INTEGER,
        UNIQUE (webhook_id, notification_id)
    ) STRICT;
    CREATE INDEX delivery_due ON delivery(webhook_id, next_attempt_at, id) WHERE state IN ('pending','failed');
    CREATE INDEX delivery_by_state ON delivery(state, webhook_id);
    CREATE INDEX delivery_by_notification ON delivery(notification_id);

    -- The last outbox id the deliverer has turned into deliveries.
    CREATE TABLE delivery_cursor (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        notification_id INTEGER NOT NULL
    ) STRICT;
    """

    /// The integration API (SPEC §8).
    private static let schemaAPI1 = """
    -- API-1: bearer tokens. Only the SHA-256 of the secret is stored; the public id in the token
    -- finds the row, then the hashes are compared in constant time. Exactly the scope columns of
    -- its role are set.
    CREATE TABLE api_token (
        id TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('partner','customer','distributor','agent')),
        partner_id TEXT,
        organisation_id TEXT,
        distributor_id TEXT,
        secret_sha256 BLOB NOT NULL CHECK (length(secret_sha256) = 32),
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        last_used_at INTEGER,
        revoked_at INTEGER,
        CHECK ((partner_id IS NOT NULL) = (role = 'partner')),
        CHECK ((organisation_id IS NOT NULL) = (role IN ('customer','agent'))),
        CHECK ((distributor_id IS NOT NULL) = (role = 'distributor'))
    ) STRICT;

    -- API-2: who asked for each write made through the API, in the transaction of the write.
    CREATE TABLE request_audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        token_id TEXT NOT NULL,
        token_name TEXT NOT NULL,
        role TEXT NOT NULL,
        action TEXT NOT NULL,
        subject_kind TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        partner_id TEXT,
        organisation_id TEXT,
        -- The caller's id for the request (an agent's event_id): a retry finds it and is not applied again (API-3).
        request_key TEXT
    ) STRICT;
    CREATE UNIQUE INDEX request_audit_by_key ON request_audit(subject_kind, subject_id, request_key) WHERE request_key IS NOT NULL;
    CREATE INDEX request_audit_by_organisation ON request_audit(organisation_id, at) WHERE organisation_id IS NOT NULL;
    CREATE INDEX request_audit_by_partner ON request_audit(partner_id, at) WHERE partner_id IS NOT NULL;
    CREATE INDEX request_audit_by_subject ON request_audit(subject_kind, subject_id, at);

    -- The distributors serving a partner (state document `distributors`): a distributor token
    -- answers the orders of these partners only (API-1, UPG-4).
    CREATE TABLE partner_distributor (
        partner_id TEXT NOT NULL REFERENCES partner(id) ON DELETE CASCADE,
        distributor_id TEXT NOT NULL,
        PRIMARY KEY (partner_id, distributor_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX partner_distributor_by_distributor ON partner_distributor(distributor_id, partner_id);

    -- API-3: end-user notifications an endpoint's agent acknowledged; the others are pending
    -- and travel with every check-in answer.
    CREATE TABLE end_user_delivery (
        notification_id INTEGER PRIMARY KEY REFERENCES notification(id) ON DELETE CASCADE,
        delivered_at INTEGER NOT NULL
    ) STRICT;
    """

    /// OPS-1…3: pauses per partner or organisation and area, cancelled CAD-8 requests, and each
    /// partner's failure threshold (NULL: the SPEC default).
    static let opsControls = """
    CREATE TABLE pause (
        id INTEGER PRIMARY KEY,
        partner_id TEXT NOT NULL REFERENCES partner(id) ON DELETE CASCADE,
        -- NULL: the whole partner (every organisation it manages).
        organisation_id TEXT REFERENCES organisation(id) ON DELETE CASCADE,
        area TEXT NOT NULL CHECK (area IN ('releases','programme')),
        reason TEXT NOT NULL,
        -- Who paused: `operator` (CLI), a token's name (API), or `failure_threshold` (OPS-3).
        actor TEXT NOT NULL,
        paused_at INTEGER NOT NULL,
        resumed_at INTEGER,
        resumed_by TEXT,
        -- Set by the wake that notified and journaled the pause and its resume.
        start_noted_at INTEGER,
        resume_noted_at INTEGER,
        CHECK (resumed_at IS NULL OR resumed_at >= paused_at)
    ) STRICT;
    CREATE INDEX pause_open ON pause(partner_id, area) WHERE resume_noted_at IS NULL;

    ALTER TABLE schedule_change ADD COLUMN cancelled_at INTEGER;
    ALTER TABLE schedule_change ADD COLUMN cancelled_by TEXT;

    ALTER TABLE partner ADD COLUMN failure_threshold_percent INTEGER CHECK (failure_threshold_percent BETWEEN 0 AND 100);
    ALTER TABLE partner ADD COLUMN failure_threshold_minimum INTEGER CHECK (failure_threshold_minimum >= 1);

    -- OPS-3: failures reported since the last wake, found without scanning the audit trail.
    CREATE INDEX decision_upgrade_failed ON decision(wake_at) WHERE rule = 'UPG-6' AND substr(after, 1, 6) = 'failed';
    """

    /// Pings a partner asked for through the API (`POST …/webhooks/{id}/test`): the API has no
    /// network, so the deliverer sends them (DLV-1, DLV-5) and records what the receiver answered.
    static let webhookPings = """
    CREATE TABLE webhook_ping (
        id INTEGER PRIMARY KEY,
        webhook_id INTEGER NOT NULL REFERENCES webhook(id) ON DELETE CASCADE,
        requested_at INTEGER NOT NULL,
        requested_by TEXT NOT NULL,
        sent_at INTEGER,
        status INTEGER,
        error TEXT
    );
    CREATE INDEX webhook_ping_queued ON webhook_ping(id) WHERE sent_at IS NULL;
    """
}
