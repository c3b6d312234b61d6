// A secret value that cannot leak by accident: printing, JSON-encoding or inspecting it
// shows "[redacted]". Code that needs the value calls reveal(), which is easy to grep for.
import { inspect } from 'node:util';

const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;
  constructor(value: string) { this.#value = value; }
  reveal(): string { return this.#value; }
  toString(): string { return REDACTED; }
  toJSON(): string { return REDACTED; }
  [inspect.custom](): string { return REDACTED; }
}

export { REDACTED };
