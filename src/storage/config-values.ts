/**
 * Kafka's config value types and validators (ConfigDef.Type, Range, ValidString, ValidList
 * and the few custom validators topic configs use), as data-driven parsers for
 * topic-config.ts's table.
 *
 * A validator takes the raw string a client sent and returns the canonical string Kafka would
 * describe (ConfigDef.convertToString of the parsed value): trimmed; integers in decimal
 * without a sign or leading zeros; booleans lower case; doubles as Java's Double.toString;
 * lists joined by ",". A bad value throws an Error whose message is Kafka's reason ("Value
 * must be at least 1"); topic-config.ts adds the config name and value.
 *
 * Parsing follows Java's: Integer.parseInt / Long.parseLong accept an optional sign and
 * decimal digits only, and must fit 32 / 64 bits ("Not a number of type INT"). Doubles accept
 * Java's decimal syntax (an optional f/d suffix included); NaN and infinities are refused here
 * (Kafka's range check would let NaN through, which no user means).
 */

/** Kafka's ConfigDef.Type names for the types topic configs use. */
export type ConfigType = 'BOOLEAN' | 'STRING' | 'INT' | 'LONG' | 'DOUBLE' | 'LIST';

/** Parses `value`, checks it, returns its canonical string; throws Error(reason). */
export type Validator = (value: string) => string;

export const INT_MIN = -(2 ** 31);
export const INT_MAX = 2 ** 31 - 1;
export const LONG_MIN = -(2n ** 63n);
export const LONG_MAX = 2n ** 63n - 1n;
/** Long.MAX_VALUE as Kafka writes it: the "never" of time and count configs. */
export const LONG_MAX_STRING = LONG_MAX.toString();

const INTEGER = /^[+-]?\d+$/;
const DOUBLE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?$/;

function range(n: number | bigint, min: number | bigint | undefined, max: number | bigint | undefined): void {
  if (min !== undefined && n < min) throw new Error(`Value must be at least ${min}`);
  if (max !== undefined && n > max) throw new Error(`Value must be no more than ${max}`);
}

/** Kafka INT with an optional Range. */
export function int(min?: number, max?: number): Validator {
  return (value) => {
    if (!INTEGER.test(value)) throw new Error('Not a number of type INT');
    const n = BigInt(value);
    if (n < BigInt(INT_MIN) || n > BigInt(INT_MAX)) throw new Error('Not a number of type INT');
    range(Number(n), min, max);
    return n.toString();
  };
}

/** Kafka LONG with an optional Range. */
export function long(min?: bigint, max?: bigint): Validator {
  return (value) => {
    if (!INTEGER.test(value)) throw new Error('Not a number of type LONG');
    const n = BigInt(value);
    if (n < LONG_MIN || n > LONG_MAX) throw new Error('Not a number of type LONG');
    range(n, min, max);
    return n.toString();
  };
}

/** Java's Double.toString for the values a config holds ("0.5", "1.0", "1.0E-4"). */
export function javaDouble(n: number): string {
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e7)) {
    const [mantissa, exponent] = n.toExponential().split('e') as [string, string];
    return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent.replace('+', '')}`;
  }
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

/** Kafka DOUBLE with Range.between(min, max). */
export function double(min: number, max: number): Validator {
  return (value) => {
    if (!DOUBLE.test(value)) throw new Error('Not a number of type DOUBLE');
    const n = Number(value.replace(/[fFdD]$/, ''));
    if (!Number.isFinite(n)) throw new Error('Not a number of type DOUBLE');
    range(n, min, max);
    return javaDouble(n);
  };
}

/** Kafka BOOLEAN: true or false, any case. */
export const bool: Validator = (value) => {
  const v = value.toLowerCase();
  if (v !== 'true' && v !== 'false') throw new Error('Expected value to be either true or false');
  return v;
};

/** Kafka STRING with ValidString.in(...): exact, case-sensitive. */
export function oneOf(...values: string[]): Validator {
  return (value) => {
    if (!values.includes(value)) throw new Error(`String must be one of: ${values.join(', ')}`);
    return value;
  };
}

/** The items of a Kafka LIST value: split on commas (whitespace around them dropped); empty means none. */
export function listItems(value: string): string[] {
  const trimmed = value.trim();
  return trimmed === '' ? [] : trimmed.split(/\s*,\s*/);
}

/**
 * Kafka LIST with ValidList.in(...): every item one of `values`. An empty list is allowed (as in
 * Kafka 3.x and 4.x); a repeated item is dropped (KIP-1161; Kafka 3.x kept repeats).
 */
export function listOf(...values: string[]): Validator {
  return (value) => {
    const items = listItems(value);
    for (const item of items) if (!values.includes(item)) throw new Error(`String must be one of: ${values.join(', ')}`);
    return [...new Set(items)].join(',');
  };
}

/** Kafka's ThrottledReplicaListValidator: `*`, or `partition:broker` pairs. */
export function throttledReplicas(name: string): Validator {
  return (value) => {
    const items = listItems(value);
    if (!(items.every((s) => /^(\d+:\d+)?$/.test(s)) || items.join('') === '*')) {
      throw new Error(`${name} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...`);
    }
    return [...new Set(items)].join(',');
  };
}

/** compression.gzip.level: 1..9, or -1 (zlib's default). */
export const gzipLevel: Validator = (value) => {
  const canonical = int()(value);
  const n = Number(canonical);
  if (n > 9 || (n < 1 && n !== -1)) throw new Error('Value must be between 1 and 9 or equal to -1');
  return canonical;
};

/**
 * Kafka's MetadataVersion releases with their inter-broker protocol sub-versions (IV count),
 * for message.format.version (MetadataVersionValidator in Kafka 3.x). A bare release names its
 * latest sub-version and exists for production releases only (up to 3.9 as of Kafka 3.9).
 */
const METADATA_RELEASES: readonly (readonly [release: string, ivs: number, production: boolean])[] = [
  ['0.8.0', 0, true], ['0.8.1', 0, true], ['0.8.2', 0, true], ['0.9.0', 0, true],
  ['0.10.0', 2, true], ['0.10.1', 3, true], ['0.10.2', 1, true], ['0.11.0', 3, true],
  ['1.0', 1, true], ['1.1', 1, true], ['2.0', 2, true], ['2.1', 3, true], ['2.2', 2, true],
  ['2.3', 2, true], ['2.4', 2, true], ['2.5', 1, true], ['2.6', 1, true], ['2.7', 3, true],
  ['2.8', 2, true], ['3.0', 2, true], ['3.1', 1, true], ['3.2', 1, true], ['3.3', 4, true],
  ['3.4', 1, true], ['3.5', 3, true], ['3.6', 3, true], ['3.7', 5, true], ['3.8', 1, true],
  ['3.9', 1, true], ['4.0', 2, false],
];
const METADATA_VERSIONS = new Set<string>();
for (const [release, ivs, production] of METADATA_RELEASES) {
  if (ivs === 0 || production) METADATA_VERSIONS.add(release);
  for (let iv = 0; iv < ivs; iv++) METADATA_VERSIONS.add(`${release}-IV${iv}`);
}

/**
 * message.format.version (Kafka MetadataVersion.fromVersionString): "0.x" versions are keyed
 * by their first three parts, later ones by their first two ("0.10.0.0" is 0.10.0, "3.0.1" is
 * 3.0); what remains must be a known release or release-IVn.
 */
export const metadataVersion: Validator = (value) => {
  const parts = value.split('.');
  const keep = value.startsWith('0.') ? 3 : 2;
  const key = keep >= parts.length ? value : parts.slice(0, keep).join('.');
  if (!METADATA_VERSIONS.has(key)) throw new Error(`Version ${value} is not a valid version`);
  return value;
};
