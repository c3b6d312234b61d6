// Tool pinning, the rug-pull defence: a server could show a harmless tool, get it approved
// by a person or trusted by a model, then change what the tool says it does. Each tool's
// definition is fingerprinted when first seen and the fingerprint kept in the state store
// (trust on first use). A later, different definition is withheld — absent from tools/list,
// its calls refused before the server is reached — and logged once, until it is approved:
// in config (`approved: [<fingerprint>]` on the server) or through the admin API (POST
// /backends/<backend>/mcp/pins/approve). `pin: false` on a server turns it off.
//
// A pin is keyed by backend, server and tool name, so two servers exposing the same tool
// name are pinned separately. The fingerprint is the SHA-256 of the canonical JSON (keys
// sorted, at every depth) of the fields a model reads or that steer its use: name, title,
// description, inputSchema, outputSchema, annotations. `_meta`, `icons` and `execution` do
// not count (they do not change what a model is told the tool does).
//
// Calls are the hot path: each upstream connection's latest tools/list is remembered as tool
// name → fingerprint, so a call costs two Map lookups. A call on a connection that has not
// listed yet lists once (concurrent calls share that list); a server's
// notifications/tools/list_changed forgets the connection's list.
import { createHash } from 'node:crypto';
import { GatewayError, type AdminActionAnswer, type DefinitionPin, type PinStore } from '../core/index.js';
import { isObject, RPC, RpcError } from './jsonrpc.js';
import type { McpBackendSpec } from './spec.js';

/** The fields of a tool definition its fingerprint covers. */
export const PINNED_FIELDS = ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'] as const;

const FINGERPRINT = /^[0-9a-f]{64}$/;

/** JSON with every object's keys sorted (undefined members dropped, as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The canonical JSON of a tool's pinned fields (PINNED_FIELDS). */
export function toolDefinition(tool: Record<string, unknown>): string {
  const picked: Record<string, unknown> = {};
  for (const f of PINNED_FIELDS) if (tool[f] !== undefined) picked[f] = tool[f];
  return canonicalJson(picked);
}

export function fingerprintOf(definition: string): string {
  return createHash('sha256').update(definition).digest('hex');
}

type Log = (server: string, level: 'info' | 'warn' | 'error', message: string) => void;

/** A definition that differs from the pin, waiting for approval. */
interface Pending { readonly fingerprint: string; readonly definition: string; readonly seenAt: number }

export class ToolPins {
  readonly #backend: string;
  readonly #store: PinStore;
  readonly #log: Log;
  /** Servers with pinning on, and the fingerprints approved for each in config. */
  readonly #servers = new Map<string, ReadonlySet<string>>();
  /** Server name → tool name → its pin (from the store, then kept current here). */
  readonly #pins = new Map<string, Map<string, DefinitionPin>>();
  /** Server name → tool name → the changed definition withheld. */
  readonly #pending = new Map<string, Map<string, Pending>>();
  /** `<server>\0<tool>\0<fingerprint>` already warned about: each change is logged once. */
  readonly #warned = new Set<string>();
  /** The latest tools/list of each upstream connection: tool name → fingerprint. */
  readonly #latest = new WeakMap<object, Map<string, string>>();
  /** Lists a call started because its connection had none yet, by `<server>\0<owner>`. */
  readonly #listing = new Map<string, Promise<object | undefined>>();
  #loaded: Promise<void> | null = null;
  #refreshing: Promise<void> | null = null;

  /** Null when no server of the backend pins. */
  static for(spec: McpBackendSpec, store: PinStore, log: Log): ToolPins | null {
    return spec.servers.some((s) => s.pin) ? new ToolPins(spec, store, log) : null;
  }

  private constructor(spec: McpBackendSpec, store: PinStore, log: Log) {
    this.#backend = spec.name;
    this.#store = store;
    this.#log = log;
    for (const s of spec.servers) if (s.pin) this.#servers.set(s.name, new Set(s.approved));
  }

  /**
   * One server's tools/list as it may be shown: a tool whose definition differs from its pin
   * (and is not approved in config) is left out. First sightings are pinned. The list is
   * remembered for `conn` (the upstream connection it came from), for calls to check.
   */
  async screen(server: string, conn: object | undefined, tools: readonly Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const approved = this.#servers.get(server);
    if (approved === undefined) return [...tools];
    try {
      await this.#load();
    } catch (err) {
      // Fail closed: what cannot be checked is not shown (tried again on the next list).
      this.#log(server, 'error', `tool pins could not be read from the state store (${describe(err)}); its tools are withheld`);
      if (conn !== undefined) this.#latest.delete(conn);
      return [];
    }
    const latest = new Map<string, string>();
    const shown = await Promise.all(tools.map(async (tool) => {
      if (typeof tool.name !== 'string') return true;
      const definition = toolDefinition(tool);
      const fingerprint = fingerprintOf(definition);
      latest.set(tool.name, fingerprint);
      return this.#accepts(server, tool.name, fingerprint, definition, approved);
    }));
    if (conn !== undefined) this.#latest.set(conn, latest);
    return tools.filter((_, i) => shown[i]);
  }

  /**
   * A tools/call's check (the hot path): nothing when the tool's current definition is the
   * pinned one; throws when it is withheld or not listed. A connection that has not listed
   * yet lists once (`relist`, which screens and answers the connection), then is checked.
   */
  admit(server: string, owner: string, conn: object | undefined, tool: string, relist: () => Promise<object | undefined>): Promise<void> | undefined {
    if (!this.#servers.has(server)) return undefined;
    const latest = conn === undefined ? undefined : this.#latest.get(conn);
    if (latest !== undefined) {
      this.#check(server, latest, tool);
      return undefined;
    }
    const key = `${server}\0${owner}`;
    let listing = this.#listing.get(key);
    if (listing === undefined) {
      listing = relist().finally(() => { this.#listing.delete(key); });
      this.#listing.set(key, listing);
    }
    return listing.then((c) => { this.#check(server, c === undefined ? undefined : this.#latest.get(c), tool); });
  }

  /** The server's tools changed (notifications/tools/list_changed): the connection lists again before its next call. */
  forget(conn: object | undefined): void {
    if (conn !== undefined) this.#latest.delete(conn);
  }

  #check(server: string, latest: Map<string, string> | undefined, tool: string): void {
    if (latest === undefined) {
      throw new RpcError(RPC.SERVER_ERROR, `Tool ${tool} of server ${server} cannot be checked against its pin right now (the state store is unavailable)`, { server });
    }
    const fingerprint = latest.get(tool);
    if (fingerprint === undefined) throw new RpcError(RPC.INVALID_PARAMS, `Unknown tool: ${tool} (server ${server} does not list it)`);
    const pin = this.#pins.get(server)?.get(tool);
    if (pin !== undefined && pin.fingerprint === fingerprint) return;
    throw new RpcError(RPC.INVALID_PARAMS,
      `Tool ${tool} of server ${server} is withheld: its definition changed since it was pinned, and the change must be approved by an operator (fingerprint ${fingerprint})`,
      { code: 'tool_definition_changed', server, tool, fingerprint });
  }

  /** Whether a listed definition may be shown; pins it when first seen. */
  async #accepts(server: string, tool: string, fingerprint: string, definition: string, approved: ReadonlySet<string>): Promise<boolean> {
    let pin = this.#pins.get(server)?.get(tool);
    if (pin === undefined) {
      try {
        pin = await this.#store.pinFirst({ backend: this.#backend, source: server, name: tool, fingerprint, definition, pinnedAt: Date.now() });
      } catch (err) {
        this.#log(server, 'error', `tool ${tool} could not be pinned (${describe(err)}); withheld until it can be`);
        return false;
      }
      this.#set(pin);
    }
    if (pin.fingerprint !== fingerprint && !approved.has(fingerprint)) {
      // Another replica (or its admin API) may have approved it since this one read the pins.
      await this.#refresh().catch(() => undefined);
      pin = this.#pins.get(server)?.get(tool) ?? pin;
    }
    if (pin.fingerprint === fingerprint) {
      this.#pending.get(server)?.delete(tool);
      return true;
    }
    if (approved.has(fingerprint)) {
      try {
        await this.#approve(server, tool, fingerprint, definition);
      } catch (err) {
        this.#log(server, 'error', `tool ${tool}: its approved definition could not be pinned (${describe(err)}); withheld until it can be`);
        return false;
      }
      this.#log(server, 'info', `tool ${tool}: definition ${fingerprint} approved in config, now pinned`);
      return true;
    }
    map(this.#pending, server).set(tool, { fingerprint, definition, seenAt: Date.now() });
    const warned = `${server}\0${tool}\0${fingerprint}`;
    if (!this.#warned.has(warned)) {
      this.#warned.add(warned);
      this.#log(server, 'warn', `tool ${tool}: its definition changed since it was pinned (pinned ${pin.fingerprint}, now ${fingerprint}); `
        + `withheld until approved (approved: [${fingerprint}] on the server in config, or POST /backends/${this.#backend}/mcp/pins/approve)`);
    }
    return false;
  }

  async #approve(server: string, tool: string, fingerprint: string, definition: string): Promise<DefinitionPin> {
    const pin: DefinitionPin = { backend: this.#backend, source: server, name: tool, fingerprint, definition, pinnedAt: Date.now() };
    await this.#store.repin(pin);
    this.#set(pin);
    this.#pending.get(server)?.delete(tool);
    return pin;
  }

  #set(pin: DefinitionPin): void {
    map(this.#pins, pin.source).set(pin.name, pin);
  }

  #load(): Promise<void> {
    this.#loaded ??= this.#read().catch((err: unknown) => { this.#loaded = null; throw err; });
    return this.#loaded;
  }

  /** Reads the pins again (concurrent callers share one read). */
  #refresh(): Promise<void> {
    this.#refreshing ??= this.#read().finally(() => { this.#refreshing = null; });
    return this.#refreshing;
  }

  async #read(): Promise<void> {
    for (const pin of await this.#store.listPins(this.#backend)) {
      if (this.#servers.has(pin.source)) this.#set(pin);
    }
  }

  // --- admin -----------------------------------------------------------------------

  /** GET /mcp/pins: each server's pins and the changes waiting for approval. */
  async view(servers: readonly { readonly name: string }[]): Promise<object> {
    let error: string | null = null;
    await this.#load().catch((err: unknown) => { error = `the pins could not be read from the state store: ${describe(err)}`; });
    return {
      ...(error !== null && { error }),
      servers: servers.map((s) => {
        const approved = this.#servers.get(s.name);
        if (approved === undefined) return { name: s.name, pin: false };
        const pins = this.#pins.get(s.name) ?? new Map<string, DefinitionPin>();
        const pending = this.#pending.get(s.name) ?? new Map<string, Pending>();
        const names = [...new Set([...pins.keys(), ...pending.keys()])].sort();
        return {
          name: s.name,
          pin: true,
          approved: [...approved],
          tools: names.map((name) => {
            const p = pins.get(name);
            const change = pending.get(name);
            return {
              name,
              fingerprint: p?.fingerprint ?? null,
              pinnedAt: p === undefined ? null : new Date(p.pinnedAt).toISOString(),
              definition: p === undefined ? null : JSON.parse(p.definition) as unknown,
              pending: change === undefined ? null : { fingerprint: change.fingerprint, seenAt: new Date(change.seenAt).toISOString(), definition: JSON.parse(change.definition) as unknown },
            };
          }),
        };
      }),
    };
  }

  /**
   * POST /backends/<backend>/mcp/pins/approve `{ server, tool, fingerprint }`: pins the
   * pending definition with this fingerprint (the one GET /mcp/pins and the warning show).
   */
  async approve(body: unknown): Promise<AdminActionAnswer> {
    if (!isObject(body)) return bad('body must be a JSON object: { "server", "tool", "fingerprint" }');
    for (const k of Object.keys(body)) {
      if (k !== 'server' && k !== 'tool' && k !== 'fingerprint') return bad(`${k} is not a known field (expected server, tool, fingerprint)`);
    }
    const { server, tool, fingerprint } = body;
    if (typeof server !== 'string' || server === '') return bad('server must be the name of a server of this backend');
    if (typeof tool !== 'string' || tool === '') return bad('tool must be a tool name as the server gives it');
    if (typeof fingerprint !== 'string' || !FINGERPRINT.test(fingerprint)) return bad('fingerprint must be 64 lower-case hex digits');
    if (!this.#servers.has(server)) return bad(`server ${server} is not a server of backend ${this.#backend} that pins its tools`);
    try {
      await this.#load();
    } catch (err) {
      return new GatewayError('AE_STATE_UNAVAILABLE', { message: 'The pins could not be read from the state store.', detail: describe(err) });
    }
    const pin = this.#pins.get(server)?.get(tool);
    if (pin?.fingerprint === fingerprint) return { status: 200, body: { approved: pinView(pin), changed: false } };
    const change = this.#pending.get(server)?.get(tool);
    if (change?.fingerprint !== fingerprint) {
      return bad(`fingerprint is not the pending definition of tool ${tool} of server ${server} (${change === undefined ? 'no change of it is pending here' : `pending: ${change.fingerprint}`})`);
    }
    let approved: DefinitionPin;
    try {
      approved = await this.#approve(server, tool, fingerprint, change.definition);
    } catch (err) {
      return new GatewayError('AE_STATE_UNAVAILABLE', { message: 'The approval could not be written to the state store.', detail: describe(err) });
    }
    this.#log(server, 'info', `tool ${tool}: definition ${fingerprint} approved through the admin API, now pinned`);
    return { status: 200, body: { approved: pinView(approved), changed: true } };
  }
}

function pinView(p: DefinitionPin): object {
  return { server: p.source, tool: p.name, fingerprint: p.fingerprint, pinnedAt: new Date(p.pinnedAt).toISOString() };
}

function bad(message: string): GatewayError {
  return new GatewayError('AE_BAD_REQUEST', { message, detail: message });
}

function map<V>(m: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let inner = m.get(key);
  if (inner === undefined) m.set(key, inner = new Map<string, V>());
  return inner;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
