// Durations and sizes as written in the config ("30s", "16mb") into numbers (ms, bytes).
import type { ByteSizeValue, DurationValue } from './schema.js';

const MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function durationMs(v: DurationValue | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number') return v;
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/.exec(v);
  if (!m) throw new Error(`invalid duration ${v}`);
  return Math.round(Number(m[1]) * MS[m[2]!]!);
}

export function byteSize(v: ByteSizeValue | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number') return v;
  const m = /^([0-9]+)([kKmMgG])?[iI]?[bB]?$/.exec(v);
  if (!m) throw new Error(`invalid size ${v}`);
  const mult = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Number(m[1]) * mult;
}
