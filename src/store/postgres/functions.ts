/**
 * The PL/pgSQL functions of the PostgreSQL schema, as pure functions of the (already quoted)
 * schema name and the notification channel. Each applies one Store operation in one round trip;
 * migrations.ts installs them.
 *
 * Conventions the functions rely on:
 * 1. Times are milliseconds since the epoch (bigint), always passed in by the caller (the store's
 *    clock), never read from the server: `now()` appears nowhere.
 * 2. A lease is live while `locked_until > p_now`. A leased task's `visible_at` is its lease expiry.
 * 3. Expected refusals (lease lost, id taken, instance missing) are returned as values, never
 *    raised, so that they do not abort the caller's transaction; only bugs and lost connections raise.
 * 4. A function that locks an instance reads its messages in a later statement than the lock, so
 *    the read sees everything committed by the previous lock holder (READ COMMITTED takes a new
 *    snapshot per statement); reading them in the locking statement could hand consumed messages out again.
 * 5. Notifications (`pg_notify`, delivered at commit) carry the origin store's id, so a store can
 *    ignore its own: `{"o":origin,"w":1}` for new work, `{"o":origin,"i":id,"s":status}` for a status.
 *    From schema version 2 they are sent only while another store listens (a row of `listeners`
 *    with another origin): a NOTIFY serializes commits and costs a transaction about as much as
 *    its WAL flush, and a store alone on its schema announces its commits in-process.
 *
 * @module
 */

const TERMINAL = `('Completed', 'Failed', 'Terminated', 'Canceled')`;

/** The columns of an instance row that the store maps to an InstanceRecord, in this order. */
export const INSTANCE_COLUMNS = `instance_id, kind, name, version, execution_id, status, input, output, custom_status,
  failure_details, created_at, last_updated_at, completed_at, scheduled_start_at, parent_instance_id,
  parent_execution_id, parent_name, parent_task_id, lock_token, locked_until, last_seq, entity_state`;

const INSTANCE_OUT = `OUT o_instance_id text, OUT o_kind text, OUT o_name text, OUT o_version text,
  OUT o_execution_id text, OUT o_status text, OUT o_input text, OUT o_output text, OUT o_custom_status text,
  OUT o_failure_details text, OUT o_created_at bigint, OUT o_last_updated_at bigint, OUT o_completed_at bigint,
  OUT o_scheduled_start_at text, OUT o_parent_instance_id text, OUT o_parent_execution_id text, OUT o_parent_name text,
  OUT o_parent_task_id integer, OUT o_lock_token text, OUT o_locked_until bigint, OUT o_last_seq integer,
  OUT o_entity_state text`;

const INSTANCE_INTO = `o_instance_id, o_kind, o_name, o_version, o_execution_id, o_status, o_input, o_output,
  o_custom_status, o_failure_details, o_created_at, o_last_updated_at, o_completed_at, o_scheduled_start_at,
  o_parent_instance_id, o_parent_execution_id, o_parent_name, o_parent_task_id, o_lock_token, o_locked_until, o_last_seq,
  o_entity_state`;

/** An instance's visible messages as the elements of a JSON array: `["id", executionId, visibleAt, event]`. */
function visibleMessages(s: string, id: string, now: string): string {
  return `(SELECT string_agg('["' || m.id || '",' || coalesce(to_json(m.execution_id)::text, 'null') || ',' ||
      m.visible_at || ',' || m.event || ']', ',' ORDER BY m.id)
    FROM ${s}.messages m WHERE m.instance_id = ${id} AND m.visible_at <= ${now})`;
}

/** Notification helpers and the internal building blocks the operations share. */
function helpers(s: string, channel: string): string[] {
  return [
    `CREATE FUNCTION ${s}.notify_work(p_origin text) RETURNS void LANGUAGE sql AS $$
      SELECT pg_notify('${channel}', json_build_object('o', p_origin, 'w', 1)::text)
    $$`,
    `CREATE FUNCTION ${s}.notify_status(p_origin text, p_id text, p_status text) RETURNS void LANGUAGE sql AS $$
      SELECT pg_notify('${channel}', json_build_object('o', p_origin, 'i', p_id, 's', p_status)::text)
    $$`,
    // Messages: [{i: instance, e: execution|null, v: event text, a: visibleAt ms, t: timer id|null,
    // en: entity name|null}]. A message with an entity name first creates its addressee (an entity)
    // when missing; a message to a missing instance is dropped. Returns true when one inserted is visible now.
    `CREATE FUNCTION ${s}.insert_messages(p_messages json, p_now bigint) RETURNS boolean LANGUAGE plpgsql AS $$
    DECLARE v_work boolean;
    BEGIN
      IF p_messages IS NULL THEN RETURN false; END IF;
      INSERT INTO ${s}.instances (instance_id, kind, name, execution_id, status, created_at, last_updated_at)
      SELECT DISTINCT ON (m.i) m.i, 'entity', m.en, '', 'Running', p_now, p_now
      FROM json_to_recordset(p_messages) AS m(i text, en text)
      WHERE m.en IS NOT NULL
      ORDER BY m.i
      ON CONFLICT (instance_id) DO NOTHING;
      WITH ins AS (
        INSERT INTO ${s}.messages (instance_id, execution_id, event, visible_at, timer_id)
        SELECT m.i, m.e, m.v, m.a, m.t
        FROM ROWS FROM (json_to_recordset(p_messages) AS (i text, e text, v text, a bigint, t integer)) WITH ORDINALITY AS m(i, e, v, a, t, ord)
        WHERE EXISTS (SELECT 1 FROM ${s}.instances x WHERE x.instance_id = m.i)
        ORDER BY m.ord
        RETURNING visible_at)
      SELECT coalesce(bool_or(visible_at <= p_now), false) INTO v_work FROM ins;
      RETURN v_work;
    END $$`,
    // Tasks: [{i, e, t: task id, n: name, x: input, w: worker|null, u: lockedUntil|null}]. Those with
    // a worker are enqueued leased to it. Returns the leased ones as [["id","token"], …] in input order.
    `CREATE FUNCTION ${s}.insert_tasks(p_tasks json, p_now bigint, OUT o_leased json, OUT o_work boolean)
    LANGUAGE plpgsql AS $$
    BEGIN
      WITH ins AS (
        INSERT INTO ${s}.tasks (instance_id, execution_id, task_id, name, input, visible_at,
          lock_token, locked_by, locked_until, dequeue_count)
        SELECT k.i, k.e, k.t, k.n, k.x, coalesce(k.u, p_now),
          CASE WHEN k.w IS NULL THEN NULL ELSE gen_random_uuid()::text END, k.w, k.u,
          CASE WHEN k.w IS NULL THEN 0 ELSE 1 END
        FROM ROWS FROM (json_to_recordset(p_tasks) AS (i text, e text, t integer, n text, x text, w text, u bigint))
          WITH ORDINALITY AS k(i, e, t, n, x, w, u, ord)
        ORDER BY k.ord
        RETURNING id, lock_token)
      SELECT json_agg(json_build_array(id::text, lock_token) ORDER BY id) FILTER (WHERE lock_token IS NOT NULL),
        coalesce(bool_or(lock_token IS NULL), false)
      INTO o_leased, o_work FROM ins;
    END $$`,
    // Deletes an instance with its messages, history and tasks.
    `CREATE FUNCTION ${s}.delete_instance(p_id text) RETURNS integer LANGUAGE plpgsql AS $$
    DECLARE v_count integer;
    BEGIN
      DELETE FROM ${s}.messages WHERE instance_id = p_id;
      DELETE FROM ${s}.history WHERE instance_id = p_id;
      DELETE FROM ${s}.tasks WHERE instance_id = p_id;
      DELETE FROM ${s}.instances WHERE instance_id = p_id;
      GET DIAGNOSTICS v_count = ROW_COUNT;
      RETURN v_count;
    END $$`,
    // Creates an instance and its start message. p: {id, name, version, exec, input, sched, visible,
    // pi, pe, pn, pt, event}. Returns NULL when created, or the status of the instance that kept the id.
    `CREATE FUNCTION ${s}.create_row(p json, p_reuse text, p_now bigint, p_origin text) RETURNS text
    LANGUAGE plpgsql AS $$
    DECLARE v_id text := p->>'id'; v_status text; v_visible bigint := (p->>'visible')::bigint;
    BEGIN
      SELECT status INTO v_status FROM ${s}.instances WHERE instance_id = v_id FOR UPDATE;
      IF FOUND THEN
        IF p_reuse <> 'ifTerminal' OR v_status NOT IN ${TERMINAL} THEN RETURN v_status; END IF;
        PERFORM ${s}.delete_instance(v_id);
      END IF;
      INSERT INTO ${s}.instances (instance_id, kind, name, version, execution_id, status, input, created_at,
        last_updated_at, scheduled_start_at, parent_instance_id, parent_execution_id, parent_name, parent_task_id)
      VALUES (v_id, 'orchestration', p->>'name', p->>'version', p->>'exec', 'Pending', p->>'input', p_now, p_now,
        p->>'sched', p->>'pi', p->>'pe', p->>'pn', (p->>'pt')::integer)
      ON CONFLICT (instance_id) DO NOTHING;
      IF NOT FOUND THEN
        -- Created by a concurrent transaction that committed meanwhile.
        SELECT status INTO v_status FROM ${s}.instances WHERE instance_id = v_id;
        RETURN coalesce(v_status, 'Pending');
      END IF;
      INSERT INTO ${s}.messages (instance_id, execution_id, event, visible_at) VALUES (v_id, p->>'exec', p->>'event', v_visible);
      PERFORM ${s}.notify_status(p_origin, v_id, 'Pending');
      IF v_visible <= p_now THEN PERFORM ${s}.notify_work(p_origin); END IF;
      RETURN NULL;
    END $$`,
  ];
}

/** The next ready instance (of those not in `taken`, when given), locked: the FROM clause. */
function readyInstance(s: string, taken?: string, named: boolean | "except" = false): string {
  return `FROM ${s}.messages m JOIN ${s}.instances i ON i.instance_id = m.instance_id
        WHERE m.visible_at <= p_now AND (i.locked_until IS NULL OR i.locked_until <= p_now)
          ${taken === undefined ? "" : `AND i.instance_id <> ALL (${taken})`}
          ${named === "except" ? `AND NOT (${NAMED})` : named ? `AND ${NAMED}` : ""}
        ORDER BY m.visible_at, m.id
        LIMIT 1
        FOR NO KEY UPDATE OF i SKIP LOCKED`;
}

/** The columns of instance `i`, into the OUT parameters of the same names. */
const SELECT_INSTANCE = `${INSTANCE_COLUMNS.replace(/(\w+)/g, "i.$1")} INTO ${INSTANCE_INTO}`;

/**
 * The body of next_instances: `search` finds the next ready instance not in v_taken (locked, into
 * the OUT parameters); up to p_max of those with visible messages are returned.
 */
function readyInstances(s: string, search: string): string {
  return `    DECLARE v_taken text[] := '{}'; v_found integer := 0;
    BEGIN
      FOR attempt IN 1..(p_max + 16) LOOP
        EXIT WHEN v_found >= p_max;
        ${search}
        IF NOT FOUND THEN RETURN; END IF;
        v_taken := v_taken || o_instance_id;
        o_msgs := ${visibleMessages(s, "o_instance_id", "p_now")};
        IF o_msgs IS NOT NULL THEN
          v_found := v_found + 1;
          RETURN NEXT;
        END IF;
      END LOOP;
    END $$`;
}

/**
 * An instance `i` of the names in p_orchestrations or p_entities (lower case): an entity by the name
 * in its instance id (`@name@key`), as the runtime names it.
 */
const NAMED = `CASE WHEN i.kind = 'entity'
            THEN lower(CASE WHEN left(i.instance_id, 1) = '@' AND strpos(substr(i.instance_id, 2), '@') > 1
                THEN substr(i.instance_id, 2, strpos(substr(i.instance_id, 2), '@') - 1) ELSE i.name END) = ANY (p_entities)
            ELSE lower(i.name) = ANY (p_orchestrations) END`;

/** complete_step's name and parameters, the same in every version (CREATE OR REPLACE keeps them). */
const COMPLETE_STEP = `complete_step(p_task bigint, p_token text, p_now bigint, p_event text, p_origin text,
      p_seq integer, p_updated bigint, p_exec text, p_history text[], p_consumed bigint[], p_canceled integer[],
      p_status text, p_output text, p_failure text, p_custom text, p_tasks json, p_messages json, p_children json,
      p_can json, p_entity text, OUT o_result text, OUT o_leased json, OUT o_work boolean, OUT o_changed boolean)`;

/**
 * In a completion's stepped path (a function with the completed task `t`): locks its instance into
 * `i` and opens the branch taken when it is free and exactly as the caller remembered it, with no
 * visible message; then the branch of an unusual episode (children, continue-as-new, messages
 * consumed or timers canceled), which the caller applies through apply_commit.
 */
function whenAsRemembered(s: string): string {
  return `      SELECT execution_id, status, last_seq, last_updated_at INTO i FROM ${s}.instances
      WHERE instance_id = t.instance_id AND (locked_until IS NULL OR locked_until <= p_now)
      FOR NO KEY UPDATE SKIP LOCKED;
      -- The messages are read in a later statement than the lock (convention 4).
      IF FOUND AND i.execution_id = p_exec AND i.last_seq = p_seq AND i.last_updated_at = p_updated
          AND NOT EXISTS (SELECT 1 FROM ${s}.messages WHERE instance_id = t.instance_id AND visible_at <= p_now) THEN
        IF p_children IS NOT NULL OR p_can IS NOT NULL OR cardinality(p_consumed) > 0 OR cardinality(p_canceled) > 0 THEN
`;
}

/**
 * The usual episode of a completion's stepped path (in a function with the completed task `t` and
 * the locked instance `i`): its history appended.
 */
function appendHistory(s: string): string {
  return `        IF cardinality(p_history) > 0 THEN
          INSERT INTO ${s}.history (instance_id, seq, execution_id, event)
          SELECT t.instance_id, i.last_seq + h.ord, p_exec, h.ev FROM unnest(p_history) WITH ORDINALITY AS h(ev, ord);
        END IF;
`;
}

/** The tasks of the usual episode enqueued (`v_tasks`, `v_work`, `o_leased`). */
function insertTasks(s: string): string {
  return `        IF p_tasks IS NOT NULL THEN
          SELECT * INTO v_tasks FROM ${s}.insert_tasks(p_tasks, p_now);
          o_leased := v_tasks.o_leased;
          v_work := v_tasks.o_work;
        END IF;
`;
}

/** The rest of the usual episode applied (messages sent, the instance row written, notifications) and the result. */
function usualEpisodeEnd(s: string): string {
  return `        IF ${s}.insert_messages(p_messages, p_now) THEN v_work := true; END IF;
        UPDATE ${s}.instances SET status = p_status, output = coalesce(p_output, output),
          failure_details = coalesce(p_failure, failure_details), custom_status = p_custom, last_updated_at = p_now,
          entity_state = p_entity,
          completed_at = CASE WHEN p_status IN ${TERMINAL} THEN coalesce(completed_at, p_now) ELSE NULL END,
          lock_token = NULL, locked_by = NULL, locked_until = NULL,
          last_seq = i.last_seq + coalesce(cardinality(p_history), 0)
        WHERE instance_id = t.instance_id;
        o_changed := p_status IS DISTINCT FROM i.status;
        IF o_changed THEN PERFORM ${s}.notify_status(p_origin, t.instance_id, p_status); END IF;
        IF v_work THEN PERFORM ${s}.notify_work(p_origin); END IF;
        o_work := v_work;
        o_result := 'ok';
        RETURN;
`;
}

/**
 * The end of a completion that steps nothing (in a function with a deleted task `t`, `p_event`,
 * `p_now`, `p_origin` and `o_result`): the outcome goes to the inbox ('inboxed'), or nowhere when
 * the instance is gone ('dropped').
 */
function inboxOutcome(s: string): string {
  return `      o_result := 'dropped';
      INSERT INTO ${s}.messages (instance_id, execution_id, event, visible_at)
      SELECT t.instance_id, t.execution_id, p_event, p_now
      WHERE EXISTS (SELECT 1 FROM ${s}.instances x WHERE x.instance_id = t.instance_id);
      IF FOUND THEN
        o_result := 'inboxed';
        PERFORM ${s}.notify_work(p_origin);
      END IF;
`;
}

/** Leasing and stepping: the next ready instance, locked, with its visible messages. */
function leasing(s: string): string[] {
  const ready = readyInstance(s);
  return [
    // The stepped path: the row lock is the lease, so no lock column is written. The messages that
    // made an instance ready may have been consumed by a transaction that committed between this
    // statement's snapshot and the lock: then the instance is passed over and the search goes on.
    `CREATE FUNCTION ${s}.next_instance(p_now bigint, OUT o_msgs text, ${INSTANCE_OUT}) LANGUAGE plpgsql AS $$
    BEGIN
      FOR attempt IN 1..16 LOOP
        SELECT ${SELECT_INSTANCE} ${ready};
        IF NOT FOUND THEN RETURN; END IF;
        o_msgs := ${visibleMessages(s, "o_instance_id", "p_now")};
        IF o_msgs IS NOT NULL THEN RETURN; END IF;
      END LOOP;
      o_instance_id := NULL;
    END $$`,
    `CREATE FUNCTION ${s}.lease_instance(p_now bigint, p_worker text, p_until bigint, OUT o_msgs text, ${INSTANCE_OUT})
    LANGUAGE plpgsql AS $$
    DECLARE v_id text;
    BEGIN
      FOR attempt IN 1..16 LOOP
        SELECT i.instance_id INTO v_id ${ready};
        IF NOT FOUND THEN RETURN; END IF;
        o_msgs := ${visibleMessages(s, "v_id", "p_now")};
        IF o_msgs IS NOT NULL THEN
          UPDATE ${s}.instances SET lock_token = gen_random_uuid()::text, locked_by = p_worker, locked_until = p_until
          WHERE instance_id = v_id
          RETURNING ${INSTANCE_COLUMNS} INTO ${INSTANCE_INTO};
          RETURN;
        END IF;
      END LOOP;
    END $$`,
    // Deletes a leased task (fenced by its token). With p_step, when the instance has no live lease
    // and no other transaction holds it, locks it and returns it with its messages ('step'): the
    // caller runs the stepper and applies its commit. Otherwise the outcome goes to the inbox ('inboxed'),
    // or nowhere when the instance is gone ('dropped').
    `CREATE FUNCTION ${s}.begin_complete(p_task bigint, p_token text, p_now bigint, p_event text, p_step boolean,
      p_origin text, OUT o_result text, OUT o_msgs text, ${INSTANCE_OUT}) LANGUAGE plpgsql AS $$
    DECLARE t record;
    BEGIN
      DELETE FROM ${s}.tasks WHERE id = p_task AND lock_token = p_token RETURNING instance_id, execution_id INTO t;
      IF NOT FOUND THEN o_result := 'lost'; RETURN; END IF;
      IF p_step THEN
        SELECT ${INSTANCE_COLUMNS} INTO ${INSTANCE_INTO} FROM ${s}.instances
        WHERE instance_id = t.instance_id AND (locked_until IS NULL OR locked_until <= p_now)
        FOR NO KEY UPDATE SKIP LOCKED;
        IF FOUND THEN
          o_result := 'step';
          o_msgs := ${visibleMessages(s, "o_instance_id", "p_now")};
          RETURN;
        END IF;
      END IF;
${inboxOutcome(s)}    END $$`,
  ];
}

/**
 * Creates the children in `p_children` (create_row documents with a refusal), in a function that
 * declares `v_child json`, `v_taken text` and `v_work boolean`: a child whose id is taken by a
 * running instance is not created, and its parent gets the refusal instead.
 */
function createChildren(s: string): string {
  return `      IF p_children IS NOT NULL THEN
        FOR v_child IN SELECT * FROM json_array_elements(p_children) LOOP
          v_taken := ${s}.create_row(v_child, 'ifTerminal', p_now, p_origin);
          IF v_taken IS NOT NULL THEN
            -- The refusal event was written by the caller with a marker where the status goes.
            IF ${s}.insert_messages(json_build_array(json_build_object('i', v_child->>'pi', 'e', v_child->>'pe',
                'v', replace(v_child->>'refusal', v_child->>'marker', v_taken), 'a', p_now, 't', NULL)), p_now) THEN
              v_work := true;
            END IF;
          END IF;
        END LOOP;
      END IF;
`;
}

/** The statements of apply_commit that write a continue-as-new's start messages to the inbox. */
function startMessages(s: string): string {
  return `        INSERT INTO ${s}.messages (instance_id, execution_id, event, visible_at)
        SELECT p_id, p_can->>'e', m.ev, p_now FROM json_array_elements_text(p_can->'m') WITH ORDINALITY AS m(ev, ord)
        ORDER BY m.ord;
`;
}

/** Applying an episode: the heart of the protocol. */
function commits(s: string): string[] {
  return [
    // p_token NULL means the caller holds the row lock (the stepped path); otherwise the commit is
    // fenced by the lease token. Returns 'ok', 'lost', or 'execution:<current execution id>'.
    `CREATE FUNCTION ${s}.apply_commit(p_id text, p_token text, p_now bigint, p_origin text, p_exec text,
      p_history text[], p_consumed bigint[], p_canceled integer[], p_status text, p_output text, p_failure text,
      p_custom text, p_tasks json, p_messages json, p_children json, p_can json, p_entity text,
      OUT o_result text, OUT o_leased json, OUT o_work boolean, OUT o_changed boolean) LANGUAGE plpgsql AS $$
    DECLARE
      r record; v_seq integer; v_work boolean := false; v_status text; v_child json; v_taken text; v_tasks record;
    BEGIN
      SELECT execution_id, status, lock_token, last_seq INTO r FROM ${s}.instances WHERE instance_id = p_id FOR NO KEY UPDATE;
      IF NOT FOUND OR (p_token IS NOT NULL AND r.lock_token IS DISTINCT FROM p_token) THEN o_result := 'lost'; RETURN; END IF;
      IF r.execution_id <> p_exec THEN o_result := 'execution:' || r.execution_id; RETURN; END IF;
      IF p_can IS NULL THEN
        IF cardinality(p_history) > 0 THEN
          INSERT INTO ${s}.history (instance_id, seq, execution_id, event)
          SELECT p_id, r.last_seq + h.ord, p_exec, h.ev FROM unnest(p_history) WITH ORDINALITY AS h(ev, ord);
        END IF;
        v_seq := r.last_seq + coalesce(cardinality(p_history), 0);
      ELSE
        DELETE FROM ${s}.history WHERE instance_id = p_id;
        v_seq := 0;
      END IF;
      IF cardinality(p_consumed) > 0 THEN
        DELETE FROM ${s}.messages WHERE instance_id = p_id AND id = ANY (p_consumed);
      END IF;
      IF cardinality(p_canceled) > 0 THEN
        DELETE FROM ${s}.messages WHERE instance_id = p_id AND timer_id = ANY (p_canceled)
          AND (execution_id = p_exec OR execution_id IS NULL);
      END IF;
${createChildren(s)}      IF p_tasks IS NOT NULL THEN
        SELECT * INTO v_tasks FROM ${s}.insert_tasks(p_tasks, p_now);
        o_leased := v_tasks.o_leased;
        v_work := v_work OR v_tasks.o_work;
      END IF;
      IF ${s}.insert_messages(p_messages, p_now) THEN v_work := true; END IF;
      IF p_can IS NULL THEN
        v_status := p_status;
        UPDATE ${s}.instances SET status = p_status, output = coalesce(p_output, output),
          failure_details = coalesce(p_failure, failure_details), custom_status = p_custom, last_updated_at = p_now,
          entity_state = p_entity,
          completed_at = CASE WHEN p_status IN ${TERMINAL} THEN coalesce(completed_at, p_now) ELSE NULL END,
          lock_token = NULL, locked_by = NULL, locked_until = NULL, last_seq = v_seq
        WHERE instance_id = p_id;
      ELSE
        v_status := 'Running';
        DELETE FROM ${s}.messages WHERE instance_id = p_id AND execution_id = p_exec;
        UPDATE ${s}.instances SET execution_id = p_can->>'e', input = p_can->>'i', status = 'Running', output = NULL,
          failure_details = NULL, completed_at = NULL, custom_status = p_custom, last_updated_at = p_now,
          lock_token = NULL, locked_by = NULL, locked_until = NULL, last_seq = 0
        WHERE instance_id = p_id;
${startMessages(s)}      END IF;
      -- Released with messages left (unconsumed, or written during the episode): someone can take it.
      IF NOT v_work AND EXISTS (SELECT 1 FROM ${s}.messages WHERE instance_id = p_id AND visible_at <= p_now) THEN
        v_work := true;
      END IF;
      o_changed := v_status IS DISTINCT FROM r.status;
      IF o_changed THEN PERFORM ${s}.notify_status(p_origin, p_id, v_status); END IF;
      IF v_work THEN PERFORM ${s}.notify_work(p_origin); END IF;
      o_work := v_work;
      o_result := 'ok';
    END $$`,
  ];
}

/** Instance management: creation, messages from outside, purge, rewind, releasing leases. */
function management(s: string): string[] {
  return [
    `CREATE FUNCTION ${s}.create_instance(p json, p_reuse text, p_now bigint, p_origin text) RETURNS text
    LANGUAGE sql AS $$ SELECT ${s}.create_row(p, p_reuse, p_now, p_origin) $$`,
    // Returns the first addressed instance that does not exist (nothing written), or NULL.
    `CREATE FUNCTION ${s}.send_messages(p_messages json, p_now bigint, p_origin text) RETURNS text
    LANGUAGE plpgsql AS $$
    DECLARE v_missing text;
    BEGIN
      -- In order: a message may address an entity that an earlier one of the same call creates.
      WITH m AS (SELECT * FROM ROWS FROM (json_to_recordset(p_messages) AS (i text, en text)) WITH ORDINALITY AS m(i, en, ord))
      SELECT m.i INTO v_missing FROM m
      WHERE m.en IS NULL AND NOT EXISTS (SELECT 1 FROM ${s}.instances x WHERE x.instance_id = m.i)
        AND NOT EXISTS (SELECT 1 FROM m AS e WHERE e.i = m.i AND e.en IS NOT NULL AND e.ord < m.ord)
      ORDER BY m.ord LIMIT 1;
      IF FOUND THEN RETURN v_missing; END IF;
      IF ${s}.insert_messages(p_messages, p_now) THEN PERFORM ${s}.notify_work(p_origin); END IF;
      RETURN NULL;
    END $$`,
    // Fenced. Returns 'lost' when the token no longer holds, 'work' when messages are ready, else 'ok'.
    `CREATE FUNCTION ${s}.abandon_instance(p_id text, p_token text, p_now bigint, p_visible bigint, p_origin text)
    RETURNS text LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE ${s}.instances SET lock_token = NULL, locked_by = NULL, locked_until = NULL
      WHERE instance_id = p_id AND lock_token = p_token;
      IF NOT FOUND THEN RETURN 'lost'; END IF;
      IF p_visible > p_now THEN
        UPDATE ${s}.messages SET visible_at = p_visible WHERE instance_id = p_id AND visible_at <= p_now;
      ELSIF EXISTS (SELECT 1 FROM ${s}.messages WHERE instance_id = p_id AND visible_at <= p_now) THEN
        PERFORM ${s}.notify_work(p_origin);
        RETURN 'work';
      END IF;
      RETURN 'ok';
    END $$`,
    `CREATE FUNCTION ${s}.abandon_task(p_id bigint, p_token text, p_now bigint, p_visible bigint, p_origin text)
    RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE ${s}.tasks SET lock_token = NULL, locked_by = NULL, locked_until = NULL, visible_at = p_visible
      WHERE id = p_id AND lock_token = p_token;
      IF NOT FOUND THEN RETURN false; END IF;
      IF p_visible <= p_now THEN PERFORM ${s}.notify_work(p_origin); END IF;
      RETURN true;
    END $$`,
    // Returns 'deleted', 'absent', 'status:<status>' (an orchestration not finished) or 'entity:<status>'
    // (an entity that is not empty: see emptyEntity in sql.ts).
    `CREATE FUNCTION ${s}.purge_instance(p_id text, p_now bigint) RETURNS text LANGUAGE plpgsql AS $$
    DECLARE r record;
    BEGIN
      SELECT kind, status, entity_state, locked_until INTO r FROM ${s}.instances WHERE instance_id = p_id FOR UPDATE;
      IF NOT FOUND THEN RETURN 'absent'; END IF;
      IF r.kind = 'entity' THEN
        IF r.entity_state IS NOT NULL OR r.locked_until > p_now
          OR EXISTS (SELECT 1 FROM ${s}.messages WHERE instance_id = p_id) THEN
          RETURN 'entity:' || r.status;
        END IF;
      ELSIF r.status NOT IN ${TERMINAL} THEN
        RETURN 'status:' || r.status;
      END IF;
      PERFORM ${s}.delete_instance(p_id);
      RETURN 'deleted';
    END $$`,
    // Returns 'ok', 'absent', 'status:<status>' or 'execution:<current execution id>'.
    `CREATE FUNCTION ${s}.rewind(p_id text, p_exec text, p_history text[], p_tasks json, p_messages json,
      p_now bigint, p_origin text) RETURNS text LANGUAGE plpgsql AS $$
    DECLARE r record; v_work boolean := false; v_tasks record;
    BEGIN
      SELECT status, execution_id INTO r FROM ${s}.instances WHERE instance_id = p_id FOR UPDATE;
      IF NOT FOUND THEN RETURN 'absent'; END IF;
      IF r.status <> 'Failed' THEN RETURN 'status:' || r.status; END IF;
      IF r.execution_id <> p_exec THEN RETURN 'execution:' || r.execution_id; END IF;
      DELETE FROM ${s}.history WHERE instance_id = p_id;
      INSERT INTO ${s}.history (instance_id, seq, execution_id, event)
      SELECT p_id, h.ord, p_exec, h.ev FROM unnest(p_history) WITH ORDINALITY AS h(ev, ord);
      -- Also takes any lease away, so a holder from before the rewind cannot commit over it.
      UPDATE ${s}.instances SET status = 'Running', output = NULL, failure_details = NULL, completed_at = NULL,
        last_updated_at = p_now, lock_token = NULL, locked_by = NULL, locked_until = NULL,
        last_seq = coalesce(cardinality(p_history), 0)
      WHERE instance_id = p_id;
      IF p_tasks IS NOT NULL THEN
        SELECT * INTO v_tasks FROM ${s}.insert_tasks(p_tasks, p_now);
        v_work := v_tasks.o_work;
      END IF;
      IF ${s}.insert_messages(p_messages, p_now) THEN v_work := true; END IF;
      PERFORM ${s}.notify_status(p_origin, p_id, 'Running');
      IF v_work THEN PERFORM ${s}.notify_work(p_origin); END IF;
      RETURN 'ok';
    END $$`,
  ];
}

/** Every function of schema version 1, in creation order. */
/**
 * Schema version 2: the stores listening on the schema, one row per LISTEN connection (its server
 * process, identified by pid and start time so that a reused pid is not mistaken for it), and
 * notification helpers that stay silent while no other store listens; the stepped path's
 * search for up to `p_max` ready instances in one statement; and a completion's stepped path in
 * one statement, for an episode run ahead.
 */
export function functionsV2(s: string, channel: string): string[] {
  return [
    // Replaced by next_instances.
    `DROP FUNCTION ${s}.next_instance(bigint)`,
    // Completions that step nothing, many in one statement: [{t: task id, k: lock token, v: event
    // text, a: visible at}]. Each deletes its task (fenced by its token) and puts the outcome in its
    // instance's inbox, in item order. Returns one result per item, in order: 'lost' (the token no
    // longer holds; nothing written), 'inboxed', or 'dropped' (the instance is gone).
    `CREATE FUNCTION ${s}.complete_tasks(p_items json, p_origin text) RETURNS text[] LANGUAGE plpgsql AS $$
    DECLARE v_results text[]; v_inboxed boolean;
    BEGIN
      WITH items AS (
        SELECT x.t, x.k, x.v, x.a, x.ord
        FROM ROWS FROM (json_to_recordset(p_items) AS (t bigint, k text, v text, a bigint)) WITH ORDINALITY AS x(t, k, v, a, ord)),
      gone AS (
        DELETE FROM ${s}.tasks USING items WHERE tasks.id = items.t AND tasks.lock_token = items.k
        RETURNING items.ord, tasks.instance_id, tasks.execution_id, items.v, items.a,
          EXISTS (SELECT 1 FROM ${s}.instances x WHERE x.instance_id = tasks.instance_id) AS alive),
      inboxed AS (
        INSERT INTO ${s}.messages (instance_id, execution_id, event, visible_at)
        SELECT instance_id, execution_id, v, a FROM gone WHERE alive ORDER BY ord
        RETURNING 1)
      SELECT array_agg(CASE WHEN g.ord IS NULL THEN 'lost' WHEN g.alive THEN 'inboxed' ELSE 'dropped' END ORDER BY i.ord),
        coalesce(bool_or(g.alive), false)
      INTO v_results, v_inboxed
      FROM items i LEFT JOIN gone g ON g.ord = i.ord;
      IF v_inboxed THEN PERFORM ${s}.notify_work(p_origin); END IF;
      RETURN v_results;
    END $$`,
    // The stepped path of a completion in one round trip, for a caller that ran the next episode
    // ahead, on the instance as it last committed it: deletes the leased task (fenced by its
    // token) and, when the instance is free and still as the caller saw it (its execution, history
    // length and last update, and no visible message), applies the commit as apply_commit does.
    // Otherwise the outcome goes to the inbox ('inboxed'), or nowhere when the instance is gone
    // ('dropped'), and the caller's episode is void. Returns 'lost', 'inboxed', 'dropped', or
    // apply_commit's result.
    `CREATE FUNCTION ${s}.${COMPLETE_STEP}
    LANGUAGE plpgsql AS $$
    DECLARE t record; i record;
    BEGIN
      DELETE FROM ${s}.tasks WHERE id = p_task AND lock_token = p_token RETURNING instance_id, execution_id INTO t;
      IF NOT FOUND THEN o_result := 'lost'; RETURN; END IF;
      SELECT execution_id, last_seq, last_updated_at INTO i FROM ${s}.instances
      WHERE instance_id = t.instance_id AND (locked_until IS NULL OR locked_until <= p_now)
      FOR NO KEY UPDATE SKIP LOCKED;
      -- The messages are read in a later statement than the lock (convention 4).
      IF FOUND AND i.execution_id = p_exec AND i.last_seq = p_seq AND i.last_updated_at = p_updated
          AND NOT EXISTS (SELECT 1 FROM ${s}.messages WHERE instance_id = t.instance_id AND visible_at <= p_now) THEN
        SELECT a.o_result, a.o_leased, a.o_work, a.o_changed INTO o_result, o_leased, o_work, o_changed
        FROM ${s}.apply_commit(t.instance_id, NULL, p_now, p_origin, p_exec, p_history, p_consumed, p_canceled,
          p_status, p_output, p_failure, p_custom, p_tasks, p_messages, p_children, p_can, p_entity) a;
        RETURN;
      END IF;
${inboxOutcome(s)}    END $$`,
    // Like next_instance was, for up to p_max instances: the rows locked, each with its visible messages.
    `CREATE FUNCTION ${s}.next_instances(p_now bigint, p_max integer, OUT o_msgs text, ${INSTANCE_OUT})
    RETURNS SETOF record LANGUAGE plpgsql AS $$
${readyInstances(s, `SELECT ${SELECT_INSTANCE} ${readyInstance(s, "v_taken")};`)}`,
    `CREATE TABLE ${s}.listeners (
      pid integer NOT NULL,
      backend_start timestamptz NOT NULL,
      origin text NOT NULL,
      PRIMARY KEY (pid, backend_start)
    )`,
    `CREATE OR REPLACE FUNCTION ${s}.notify_work(p_origin text) RETURNS void LANGUAGE sql AS $$
      SELECT pg_notify('${channel}', json_build_object('o', p_origin, 'w', 1)::text)
      WHERE EXISTS (SELECT 1 FROM ${s}.listeners WHERE origin <> p_origin)
    $$`,
    `CREATE OR REPLACE FUNCTION ${s}.notify_status(p_origin text, p_id text, p_status text) RETURNS void LANGUAGE sql AS $$
      SELECT pg_notify('${channel}', json_build_object('o', p_origin, 'i', p_id, 's', p_status)::text)
      WHERE EXISTS (SELECT 1 FROM ${s}.listeners WHERE origin <> p_origin)
    $$`,
  ];
}

/**
 * Schema version 3: a start and its first episode in one statement, for a caller that ran the
 * episode ahead on the instance it is creating; and the notification helpers in PL/pgSQL, whose
 * check for other listeners is planned once per session (as SQL functions called from PL/pgSQL
 * they were planned at every call: about four times the cost, paid at every status change).
 */
export function functionsV3(s: string, channel: string): string[] {
  return [
    // As in version 2, among the instances of the names given (NULL: every instance).
    `DROP FUNCTION ${s}.next_instances(bigint, integer)`,
    // The search by names is planned without sequential scans: the planner, misled by the
    // condition on names, would otherwise read every instance at each search.
    `CREATE FUNCTION ${s}.next_instances(p_now bigint, p_max integer, p_orchestrations text[], p_entities text[],
      OUT o_msgs text, ${INSTANCE_OUT})
    RETURNS SETOF record LANGUAGE plpgsql SET enable_seqscan = off SET enable_material = off AS $$
${readyInstances(
      s,
      `-- Two statements, two plans: a condition on names that may be NULL spoils the plan of the search without them.
        IF p_orchestrations IS NULL THEN
          SELECT ${SELECT_INSTANCE} ${readyInstance(s, "v_taken")};
        ELSE
          SELECT ${SELECT_INSTANCE} ${readyInstance(s, "v_taken", true)};
        END IF;`,
    )}`,
    // As in version 2, with the usual episode (no children, no continue-as-new, no message consumed
    // or timer canceled) applied here rather than through apply_commit: the checks that guard it
    // stand for apply_commit's own (the row is locked, free and of this execution), and no message
    // of the instance was visible, so only those the episode sends can be, which insert_messages
    // reports. Saves apply_commit's call, its second lock and its search of the inbox.
    `CREATE OR REPLACE FUNCTION ${s}.${COMPLETE_STEP}
    LANGUAGE plpgsql AS $$
    DECLARE t record; i record; v_tasks record; v_work boolean := false;
    BEGIN
      DELETE FROM ${s}.tasks WHERE id = p_task AND lock_token = p_token RETURNING instance_id, execution_id INTO t;
      IF NOT FOUND THEN o_result := 'lost'; RETURN; END IF;
${whenAsRemembered(s)}          SELECT a.o_result, a.o_leased, a.o_work, a.o_changed INTO o_result, o_leased, o_work, o_changed
          FROM ${s}.apply_commit(t.instance_id, NULL, p_now, p_origin, p_exec, p_history, p_consumed, p_canceled,
            p_status, p_output, p_failure, p_custom, p_tasks, p_messages, p_children, p_can, p_entity) a;
          RETURN;
        END IF;
${appendHistory(s)}${insertTasks(s)}${usualEpisodeEnd(s)}      END IF;
${inboxOutcome(s)}    END $$`,
    // As in version 1, with the document parsed once: each ->> on a json value parses it again.
    `CREATE OR REPLACE FUNCTION ${s}.create_row(p json, p_reuse text, p_now bigint, p_origin text) RETURNS text
    LANGUAGE plpgsql AS $$
    DECLARE r record; v_status text;
    BEGIN
      SELECT * INTO r FROM json_to_record(p) AS x(id text, name text, version text, exec text, input text, sched text,
        visible bigint, pi text, pe text, pn text, pt integer, event text, taken boolean);
      SELECT status INTO v_status FROM ${s}.instances WHERE instance_id = r.id FOR UPDATE;
      IF FOUND THEN
        IF p_reuse <> 'ifTerminal' OR v_status NOT IN ${TERMINAL} THEN RETURN v_status; END IF;
        PERFORM ${s}.delete_instance(r.id);
      END IF;
      INSERT INTO ${s}.instances (instance_id, kind, name, version, execution_id, status, input, created_at,
        last_updated_at, scheduled_start_at, parent_instance_id, parent_execution_id, parent_name, parent_task_id)
      VALUES (r.id, 'orchestration', r.name, r.version, r.exec, 'Pending', r.input, p_now, p_now,
        r.sched, r.pi, r.pe, r.pn, r.pt)
      ON CONFLICT (instance_id) DO NOTHING;
      IF NOT FOUND THEN
        -- Created by a concurrent transaction that committed meanwhile.
        SELECT status INTO v_status FROM ${s}.instances WHERE instance_id = r.id;
        RETURN coalesce(v_status, 'Pending');
      END IF;
      INSERT INTO ${s}.messages (instance_id, execution_id, event, visible_at) VALUES (r.id, r.exec, r.event, r.visible);
      PERFORM ${s}.notify_status(p_origin, r.id, 'Pending');
      -- taken: the caller's episode consumes the start message in this transaction (create_step).
      IF r.visible <= p_now AND r.taken IS NOT TRUE THEN PERFORM ${s}.notify_work(p_origin); END IF;
      RETURN NULL;
    END $$`,
    `CREATE OR REPLACE FUNCTION ${s}.notify_work(p_origin text) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM ${s}.listeners WHERE origin <> p_origin) THEN
        PERFORM pg_notify('${channel}', json_build_object('o', p_origin, 'w', 1)::text);
      END IF;
    END $$`,
    `CREATE OR REPLACE FUNCTION ${s}.notify_status(p_origin text, p_id text, p_status text) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM ${s}.listeners WHERE origin <> p_origin) THEN
        PERFORM pg_notify('${channel}', json_build_object('o', p_origin, 'i', p_id, 's', p_status)::text);
      END IF;
    END $$`,
    // Creates the instance as create_row does and, when it was created, applies the first episode
    // as apply_commit does (the new row is this transaction's, so no lease is needed). With
    // p_started the episode consumed the start message, which is removed again. Returns o_taken,
    // the status of the instance that kept the id (nothing written), or NULL and apply_commit's result.
    `CREATE FUNCTION ${s}.create_step(p json, p_reuse text, p_now bigint, p_origin text, p_started boolean,
      p_exec text, p_history text[], p_consumed bigint[], p_canceled integer[], p_status text, p_output text,
      p_failure text, p_custom text, p_tasks json, p_messages json, p_children json, p_can json, p_entity text,
      OUT o_taken text, OUT o_result text, OUT o_leased json, OUT o_work boolean, OUT o_changed boolean)
    LANGUAGE plpgsql AS $$
    BEGIN
      o_taken := ${s}.create_row(p, p_reuse, p_now, p_origin);
      IF o_taken IS NOT NULL THEN RETURN; END IF;
      IF p_started THEN
        DELETE FROM ${s}.messages WHERE instance_id = p->>'id' AND execution_id = p->>'exec';
      END IF;
      SELECT a.o_result, a.o_leased, a.o_work, a.o_changed INTO o_result, o_leased, o_work, o_changed
      FROM ${s}.apply_commit(p->>'id', NULL, p_now, p_origin, p_exec, p_history, p_consumed, p_canceled,
        p_status, p_output, p_failure, p_custom, p_tasks, p_messages, p_children, p_can, p_entity) a;
    END $$`,
  ];
}

/**
 * Schema version 4: a completion whose episode schedules one task, leased to a worker, hands the
 * completed task's row to that task instead of deleting one row and inserting another: the row is
 * locked (fenced by its token) before the instance, as before, and updated in place with the new
 * task and a new token, so a late answer with the old token finds nothing, as it would find no row.
 */
export function functionsV4(s: string): string[] {
  return [
    `CREATE OR REPLACE FUNCTION ${s}.${COMPLETE_STEP}
    LANGUAGE plpgsql AS $$
    DECLARE t record; i record; k record; v_tasks record; v_work boolean := false; v_token text;
    BEGIN
      SELECT instance_id, execution_id INTO t FROM ${s}.tasks WHERE id = p_task AND lock_token = p_token FOR NO KEY UPDATE;
      IF NOT FOUND THEN o_result := 'lost'; RETURN; END IF;
${whenAsRemembered(s)}          DELETE FROM ${s}.tasks WHERE id = p_task;
          SELECT a.o_result, a.o_leased, a.o_work, a.o_changed INTO o_result, o_leased, o_work, o_changed
          FROM ${s}.apply_commit(t.instance_id, NULL, p_now, p_origin, p_exec, p_history, p_consumed, p_canceled,
            p_status, p_output, p_failure, p_custom, p_tasks, p_messages, p_children, p_can, p_entity) a;
          RETURN;
        END IF;
        IF json_array_length(p_tasks) = 1 AND (p_tasks->0->>'w') IS NOT NULL THEN
          SELECT * INTO k FROM json_to_record(p_tasks->0) AS x(i text, e text, t integer, n text, x text, w text, u bigint);
          v_token := gen_random_uuid()::text;
          UPDATE ${s}.tasks SET instance_id = k.i, execution_id = k.e, task_id = k.t, name = k.n, input = k.x,
            visible_at = k.u, lock_token = v_token, locked_by = k.w, locked_until = k.u, dequeue_count = 1
          WHERE id = p_task;
          o_leased := json_build_array(json_build_array(p_task::text, v_token));
        ELSE
          DELETE FROM ${s}.tasks WHERE id = p_task;
          IF p_tasks IS NOT NULL THEN
            SELECT * INTO v_tasks FROM ${s}.insert_tasks(p_tasks, p_now);
            o_leased := v_tasks.o_leased;
            v_work := v_tasks.o_work;
          END IF;
        END IF;
${appendHistory(s)}${usualEpisodeEnd(s)}      END IF;
      DELETE FROM ${s}.tasks WHERE id = p_task;
${inboxOutcome(s)}    END $$`,
  ];
}

export function functionsV1(s: string, channel: string): string[] {
  return [...helpers(s, channel), ...leasing(s), ...commits(s), ...management(s)];
}

/**
 * Schema version 6: continue-as-new puts the new execution's start messages ahead of every other
 * message of the instance (events that arrived during the episode, or arrive while it commits),
 * by giving them ids below any other; a rewind starts again the sub-orchestrations whose instance is gone; a lease may pass
 * over the instances of some names (another worker's); finished instances are listed in the order
 * they finished.
 */
export function functionsV6(s: string): string[] {
  const applyCommit = commits(s)[0]!;
  // Ids from a descending sequence, below every id the identity ever gives, the smallest to the
  // first message: the start messages come before any message of the instance, whether it was
  // waiting already or is being written by a transaction that commits after this one (moving the
  // waiting ones behind could not order those).
  const ahead = `        INSERT INTO ${s}.messages (id, instance_id, execution_id, event, visible_at) OVERRIDING SYSTEM VALUE
        SELECT n.id, p_id, p_can->>'e', m.ev, p_now
        FROM json_array_elements_text(p_can->'m') WITH ORDINALITY AS m(ev, ord)
        JOIN (SELECT x.id, row_number() OVER (ORDER BY x.id) AS ord
          FROM (SELECT nextval('${s}.messages_ahead') AS id FROM json_array_elements(p_can->'m')) x) n ON n.ord = m.ord
        ORDER BY m.ord;
`;
  return [
    `CREATE SEQUENCE ${s}.messages_ahead AS bigint INCREMENT BY -1 START WITH -1 MAXVALUE -1 NO CYCLE`,
    replaceOnce(replaceOnce(applyCommit, "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"), startMessages(s), ahead),
    `DROP FUNCTION ${s}.rewind(text, text, text[], json, json, bigint, text)`,
    // As in version 1, with p_children: the sub-orchestrations to start again, as apply_commit creates children.
    `CREATE FUNCTION ${s}.rewind(p_id text, p_exec text, p_history text[], p_tasks json, p_messages json, p_children json,
      p_now bigint, p_origin text) RETURNS text LANGUAGE plpgsql AS $$
    DECLARE r record; v_work boolean := false; v_tasks record; v_child json; v_taken text;
    BEGIN
      SELECT status, execution_id INTO r FROM ${s}.instances WHERE instance_id = p_id FOR UPDATE;
      IF NOT FOUND THEN RETURN 'absent'; END IF;
      IF r.status <> 'Failed' THEN RETURN 'status:' || r.status; END IF;
      IF r.execution_id <> p_exec THEN RETURN 'execution:' || r.execution_id; END IF;
      DELETE FROM ${s}.history WHERE instance_id = p_id;
      INSERT INTO ${s}.history (instance_id, seq, execution_id, event)
      SELECT p_id, h.ord, p_exec, h.ev FROM unnest(p_history) WITH ORDINALITY AS h(ev, ord);
      -- Also takes any lease away, so a holder from before the rewind cannot commit over it.
      UPDATE ${s}.instances SET status = 'Running', output = NULL, failure_details = NULL, completed_at = NULL,
        last_updated_at = p_now, lock_token = NULL, locked_by = NULL, locked_until = NULL,
        last_seq = coalesce(cardinality(p_history), 0)
      WHERE instance_id = p_id;
      IF p_tasks IS NOT NULL THEN
        SELECT * INTO v_tasks FROM ${s}.insert_tasks(p_tasks, p_now);
        v_work := v_tasks.o_work;
      END IF;
      IF ${s}.insert_messages(p_messages, p_now) THEN v_work := true; END IF;
${createChildren(s)}      PERFORM ${s}.notify_status(p_origin, p_id, 'Running');
      IF v_work THEN PERFORM ${s}.notify_work(p_origin); END IF;
      RETURN 'ok';
    END $$`,
    // As lease_instance of version 1, passing over the instances of the names given (lower case).
    `CREATE FUNCTION ${s}.lease_instance(p_now bigint, p_worker text, p_until bigint, p_orchestrations text[], p_entities text[],
      OUT o_msgs text, ${INSTANCE_OUT})
    LANGUAGE plpgsql SET enable_seqscan = off SET enable_material = off AS $$
    DECLARE v_id text;
    BEGIN
      FOR attempt IN 1..16 LOOP
        SELECT i.instance_id INTO v_id ${readyInstance(s, undefined, "except")};
        IF NOT FOUND THEN RETURN; END IF;
        o_msgs := ${visibleMessages(s, "v_id", "p_now")};
        IF o_msgs IS NOT NULL THEN
          UPDATE ${s}.instances SET lock_token = gen_random_uuid()::text, locked_by = p_worker, locked_until = p_until
          WHERE instance_id = v_id
          RETURNING ${INSTANCE_COLUMNS} INTO ${INSTANCE_INTO};
          RETURN;
        END IF;
      END LOOP;
    END $$`,
    `CREATE INDEX instances_by_completed ON ${s}.instances (completed_at, instance_id) WHERE completed_at IS NOT NULL`,
  ];
}

/** `text` with its one occurrence of `what` replaced (a missing one is a bug in this module). */
function replaceOnce(text: string, what: string, by: string): string {
  const at = text.indexOf(what);
  if (at < 0 || text.indexOf(what, at + 1) >= 0) throw new Error(`functions.ts: expected exactly one '${what.slice(0, 40)}'.`);
  return text.slice(0, at) + by + text.slice(at + what.length);
}

/** The FROM clause of a search for the next ready instance not in v_taken, locked, with extra conditions on `i`. */
function readyInstanceWhere(s: string, conditions: readonly string[]): string {
  return `FROM ${s}.messages m JOIN ${s}.instances i ON i.instance_id = m.instance_id
        WHERE m.visible_at <= p_now AND (i.locked_until IS NULL OR i.locked_until <= p_now)
          AND i.instance_id <> ALL (v_taken)
          ${conditions.map((c) => `AND ${c}`).join("\n          ")}
        ORDER BY m.visible_at, m.id
        LIMIT 1
        FOR NO KEY UPDATE OF i SKIP LOCKED`;
}

/**
 * An orchestration `i` on a version p_version_keys allows: its lower-case name is not among
 * p_version_names, or its `name<US>version` key (chr(31); '' for no version) is among
 * p_version_keys. Entities always are.
 */
const VERSIONED = `(i.kind = 'entity' OR NOT (lower(i.name) = ANY (p_version_names))
            OR (lower(i.name) || chr(31) || coalesce(i.version, '')) = ANY (p_version_keys))`;

/**
 * Worker registrations, and the search for ready instances by version: next_instances takes the
 * versions a worker runs (p_version_names, p_version_keys: NULL for any version), and with
 * p_version_complement finds only the orchestrations of those names on another version (for a
 * worker that fails the instances no running worker can run).
 */
export function functionsWorkerVersions(s: string): string[] {
  const search = (named: boolean, versions: "allowed" | "complement"): string => {
    const conditions = named ? [NAMED] : [];
    conditions.push(versions === "allowed" ? VERSIONED : `i.kind = 'orchestration' AND NOT ${VERSIONED}`);
    return `SELECT ${SELECT_INSTANCE} ${readyInstanceWhere(s, conditions)};`;
  };
  return [
    `CREATE TABLE ${s}.workers (
      worker_id text PRIMARY KEY,
      orchestrations text NOT NULL,
      started_at bigint NOT NULL,
      renewed_at bigint NOT NULL,
      expires_at bigint NOT NULL
    )`,
    `DROP FUNCTION ${s}.next_instances(bigint, integer, text[], text[])`,
    // As in version 3, and by version. One statement per shape: a condition that may be NULL
    // spoils the plan of the search without it.
    `CREATE FUNCTION ${s}.next_instances(p_now bigint, p_max integer, p_orchestrations text[], p_entities text[],
      p_version_names text[], p_version_keys text[], p_version_complement boolean,
      OUT o_msgs text, ${INSTANCE_OUT})
    RETURNS SETOF record LANGUAGE plpgsql SET enable_seqscan = off SET enable_material = off AS $$
${readyInstances(
      s,
      `IF p_version_names IS NULL THEN
          IF p_orchestrations IS NULL THEN
            SELECT ${SELECT_INSTANCE} ${readyInstance(s, "v_taken")};
          ELSE
            SELECT ${SELECT_INSTANCE} ${readyInstance(s, "v_taken", true)};
          END IF;
        ELSIF p_version_complement THEN
          IF p_orchestrations IS NULL THEN
            ${search(false, "complement")}
          ELSE
            ${search(true, "complement")}
          END IF;
        ELSIF p_orchestrations IS NULL THEN
          ${search(false, "allowed")}
        ELSE
          ${search(true, "allowed")}
        END IF;`,
    )}`,
  ];
}
