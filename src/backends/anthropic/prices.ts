import { UnknownModelPriceError } from './errors.js';

/** USD per million tokens. Cache reads and writes are derived from `input` (see cost.ts). */
export interface ModelPrice {
  input: number;
  output: number;
}

interface PriceEntry {
  /** Shown in errors and reports. */
  family: string;
  /** Model ids this price applies to: the alias, its dated snapshots and, where stated, the whole family. */
  pattern: RegExp;
  price: ModelPrice;
}

/**
 * Standard (non-batch, under-200k-context) list prices, from https://www.anthropic.com/pricing, checked when
 * this file was written. Sonnet 4 and Haiku 4 patterns cover the whole family because every release of those
 * families has kept one price; Opus changed price within the 4 family (4.5 costs a third of 4.1), so only
 * known Opus versions are listed and a newer one is an error until its price is added here or passed
 * explicitly. A wrong price silently breaks a budget, which is worse than asking.
 */
export const PRICE_TABLE: readonly PriceEntry[] = [
  { family: 'claude-opus-4-5', pattern: /^claude-opus-4-5(-\d{8})?$/, price: { input: 5, output: 25 } },
  { family: 'claude-opus-4-1', pattern: /^claude-opus-4-1(-\d{8})?$/, price: { input: 15, output: 75 } },
  { family: 'claude-opus-4 (4.0)', pattern: /^claude-opus-4(-0|-\d{8})$/, price: { input: 15, output: 75 } },
  { family: 'claude-sonnet-4-*', pattern: /^claude-sonnet-4(-\d{1,2})?(-\d{8})?$/, price: { input: 3, output: 15 } },
  { family: 'claude-haiku-4-*', pattern: /^claude-haiku-4(-\d{1,2})?(-\d{8})?$/, price: { input: 1, output: 5 } },
  { family: 'claude-3-7-sonnet', pattern: /^claude-3-7-sonnet(-\d{8}|-latest)?$/, price: { input: 3, output: 15 } },
  { family: 'claude-3-5-haiku', pattern: /^claude-3-5-haiku(-\d{8}|-latest)?$/, price: { input: 0.8, output: 4 } },
  { family: 'claude-3-haiku', pattern: /^claude-3-haiku(-\d{8})?$/, price: { input: 0.25, output: 1.25 } },
];

/** Explicit prices by exact model id; they win over the table (new models, negotiated prices, tests). */
export type PriceOverrides = Readonly<Record<string, ModelPrice>>;

export function priceFor(model: string, overrides: PriceOverrides = {}): ModelPrice {
  const explicit = overrides[model];
  if (explicit) return explicit;
  const entry = PRICE_TABLE.find((candidate) => candidate.pattern.test(model));
  if (!entry) throw new UnknownModelPriceError(model, [...PRICE_TABLE.map((e) => e.family), ...Object.keys(overrides)]);
  return entry.price;
}
